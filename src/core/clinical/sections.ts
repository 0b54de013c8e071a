import { firstEndingAfter } from '../text/ordered-spans.js';
/**
 * Section detection: a note's headers at a line or sentence start ("Dx:", "Diagnosis -", "Impression:", SOAP's
 * "A:"; "Rx:", "Plan:", "Medications:", SOAP's "P:"; any other "Investigations:") and the stretch each opens, up
 * to the next header. What a section holds is what its header says: the pairs read diagnosis and treatment
 * sections (relations.ts), and the tagger takes a vocabulary name in them as the section's kind (extract.ts).
 */

export type SectionKind = 'dx' | 'rx' | 'other';

export interface NoteSection {
  kind: SectionKind;
  /** Offset of the header. */
  start: number;
  /** Offset of the next header, or the note's end. */
  end: number;
}

const DX_HEADER = /(?:(?:final |provisional |prov\.? |working |clinical |discharge |admitting |pre\/postoperative |preoperative |postoperative )?(?:dx|diagnos[ie]s|impression|imp|assessment)(?: (?:this|on) (?:admission|discharge))?\b\s*(?::|-|–|\n|$)|a\s*:)/iy;
const RX_HEADER = /(?:(?:(?:ed|er|a&e|emergency|opd) )?(?:rx|℞|plan|treatment|tx|medications?|meds|adv|advice|advised|prescription|prescribed|discharge medications?|management|mx)\b\s*(?::|-|–|\n|$)|p\s*:)/iy;
/** Any other section header at a line start ("Investigations:", "Follow up:"). */
const OTHER_HEADER = /[A-Za-z][A-Za-z /&]{1,30}:/y;
const HEADERS = [['dx', DX_HEADER], ['rx', RX_HEADER], ['other', OTHER_HEADER]] as const;

/** The note's sections in text order. */
export function noteSections(text: string): NoteSection[] {
  const found: NoteSection[] = [];
  const starts = /(^|\n|[.!?]\s+)\s*(?:\d+[.)]\s*|[-*•]\s*)?/g;
  for (const match of text.matchAll(starts)) {
    const at = (match.index ?? 0) + match[0].length;
    const kind = headerAt(text, at);
    if (kind && (found.length === 0 || (found[found.length - 1] as NoteSection).start !== at)) found.push({ kind, start: at, end: text.length });
  }
  for (let i = 0; i < found.length - 1; i++) (found[i] as NoteSection).end = (found[i + 1] as NoteSection).start;
  return found;
}

/** The kind of header that starts at `at`, if one does. */
export function headerAt(text: string, at: number): SectionKind | null {
  for (const [kind, pattern] of HEADERS) {
    pattern.lastIndex = at;
    if (pattern.test(text)) return kind;
  }
  return null;
}

/** The kind of the section holding offset `at` (sections in text order), or null before the first header. */
export function sectionKindAt(sections: readonly NoteSection[], at: number): SectionKind | null {
  return sectionAt(sections, at)?.kind ?? null;
}

/** The section holding the offset (sections in text order, each up to the next), none before the first header. */
export function sectionAt(sections: readonly NoteSection[], at: number): NoteSection | undefined {
  const section = sections[firstEndingAfter(sections, at)];
  return section && section.start <= at ? section : undefined;
}
