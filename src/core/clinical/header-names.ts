import type { Entity } from '../text/types.js';

/**
 * Section headers whose words a vocabulary lists: "ALLERGIES:", "COMPLICATIONS:", "ANESTHESIA:", "ESTIMATED BLOOD
 * LOSS:". A header names the section that follows, not a disease or treatment of the patient, and a drug after
 * "ALLERGIES:" is no treatment of an allergy. Only these names: "HTN: amlodipine" labels a line with a diagnosis.
 */
export const HEADER_NAMES: ReadonlySet<string> = new Set([
  'allergies', 'allergy', 'drug allergies', 'drug allergy', 'medication allergies', 'known allergies', 'allergies to medications',
  'complications', 'complication', 'intraoperative complications', 'postoperative complications',
  'anesthesia', 'anaesthesia', 'type of anesthesia', 'type of anaesthesia', 'anesthetic', 'anesthesia type',
  'estimated blood loss', 'blood loss', 'ebl', 'hemostasis', 'haemostasis', 'fluids', 'iv fluids', 'fluids given',
  'transfusions', 'transfusion', 'blood products', 'drains', 'implants', 'specimens', 'specimen',
  'indications', 'indication', 'indication for surgery', 'indications for surgery', 'indication for procedure',
  'indications for procedure', 'indications for operation', 'recommendations', 'recommendation',
  'premedications', 'premedication', 'medications', 'medication', 'current medications', 'home medications',
  'discharge medications', 'admission medications', 'medications on admission', 'medications at discharge',
  'preoperative diagnosis', 'postoperative diagnosis', 'preoperative diagnoses', 'postoperative diagnoses',
  'pre-operative diagnosis', 'post-operative diagnosis', 'preprocedure diagnosis', 'postprocedure diagnosis',
  'operations', 'operation', 'operation performed', 'operations performed', 'procedure', 'procedures',
  'procedure performed', 'procedures performed', 'vaccinations', 'vaccines', 'immunizations', 'immunization',
  'treatment', 'treatments', 'therapy', 'surgery', 'surgeries', 'past surgery', 'surgical history',
]);

/** How far back from an entity a header may start: a header is a few words. */
const MAX_HEADER_CHARS = 60;

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * Whether the span lies in a header's name: the words from a line or sentence start (past a bullet or number) to
 * a colon are one of HEADER_NAMES, and the span is among them.
 */
export function isInHeaderName(text: string, start: number, end: number): boolean {
  let colon = end;
  while (colon < text.length && isSpace(text.charCodeAt(colon))) colon++;
  if (text.charCodeAt(colon) !== 58) return false;
  let from = start;
  while (from > 0 && start - from < MAX_HEADER_CHARS) {
    const previous = text.charCodeAt(from - 1);
    if (previous === 10 || previous === 13) break;
    // a sentence's end: "… normal. ALLERGIES: …"
    if (isSpace(previous) && from >= 2 && /[.!?]/.test(text[from - 2] as string)) break;
    from--;
  }
  if (start - from >= MAX_HEADER_CHARS) return false;
  const name = text
    .slice(from, colon)
    .replace(/^\s*(?:\d+[.)]\s*|[-*•#]\s*)?/, '')
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
  return HEADER_NAMES.has(name);
}

/** Drops the entities that lie in a header's name (found by sentence, changed in place). */
export function withoutHeaderNames(text: string, found: Entity[][]): void {
  for (let s = 0; s < found.length; s++) {
    const entities = found[s] as Entity[];
    const kept = entities.filter((e) => !isInHeaderName(text, e.start, e.end));
    if (kept.length < entities.length) found[s] = kept;
  }
}
