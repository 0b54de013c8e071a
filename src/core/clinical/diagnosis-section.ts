import type { Entity, Sentence } from '../text/types.js';
import type { NoteSection } from './sections.js';

/**
 * A diagnosis section's items ("Dx: viral fever", "Impression: knee sprain; vitamin D deficiency") are diagnoses
 * by what the header says. The CRF and the vocabulary pass find most of them, but not a name the open
 * vocabularies only hold in another wording ("viral fever" is ICD-10-CM's "viral infection") nor its head
 * alone ("fever" of "viral fever"). So an item the concept index names as a whole, with a score of at least
 * {@link MIN_ITEM_NAME_SCORE}, becomes one disease entity, in place of what was found inside it.
 */

/** How surely an item must name a disease as a whole: a full or qualifier-stripped name, a synonym or a DOID name. */
export const MIN_ITEM_NAME_SCORE = 0.9;
/** Longest item read as one name. */
const MAX_ITEM_WORDS = 6;

/** Items of a section: between the header and each delimiter (line end, comma, semicolon, bullet, link to a treatment). */
const ITEM = /[^\n,;:()[\]]+/g;
const LEADING = /^(?:\s|\d+[.)]|#\d+|[-*•–])*/;
const TRAILING = /[\s.]+$/;
/** An item that states its assertion or more than a name is left to the tagger and the assertion rules. */
const NOT_A_BARE_NAME = /(?:^|\s)(?:no|not|denies|without|h\/o|history|family|possible|probable|likely|suspected|query|r\/o|rule|resolved|s\/p|vs|versus|with|and|or|on|for|due|secondary|to|of\s+the)(?:\s|$)|[?/]|\d/i;

export interface SectionNames {
  /** The best score of a concept the index names by this whole text (0: none). */
  diseaseScore(name: string): number;
}

/**
 * The entities by sentence with each named item of the note's diagnosis sections as one disease entity.
 * `confidence`: the entity's (what such items measured).
 */
export function withDiagnosisItems(
  text: string,
  sections: readonly NoteSection[],
  sentences: readonly Sentence[],
  found: Entity[][],
  names: SectionNames,
  confidence: number,
): void {
  for (const section of sections) {
    if (section.kind !== 'dx') continue;
    const body = text.slice(section.start, section.end);
    // The header itself ("Diagnosis:", "A:") is no item.
    const headerEnd = /^[^:\n-]*[:\-–]?/.exec(body)?.[0].length ?? 0;
    ITEM.lastIndex = headerEnd;
    for (let match = ITEM.exec(body); match; match = ITEM.exec(body)) {
      const raw = match[0];
      const lead = LEADING.exec(raw)?.[0].length ?? 0;
      const trimmed = raw.slice(lead).replace(TRAILING, '');
      if (trimmed.length < 3 || NOT_A_BARE_NAME.test(trimmed)) continue;
      const words = trimmed.split(/\s+/);
      if (words.length > MAX_ITEM_WORDS || !/[a-z]/i.test(trimmed)) continue;
      const start = section.start + match.index + lead;
      const end = start + trimmed.length;
      placeItem(text, start, end, sentences, found, names, confidence);
    }
  }
}

function placeItem(text: string, start: number, end: number, sentences: readonly Sentence[], found: Entity[][], names: SectionNames, confidence: number): void {
  const s = sentences.findIndex((sentence) => sentence.tokens.length > 0 && (sentence.tokens[0] as { start: number }).start <= start && (sentence.tokens[sentence.tokens.length - 1] as { end: number }).end >= end);
  if (s < 0) return;
  const entities = found[s] as Entity[];
  // Already one entity, or found with other bounds across the item: the tagger's reading stands.
  if (entities.some((e) => (e.start === start && e.end === end) || (e.start < end && e.end > start && (e.start < start || e.end > end)))) return;
  const name = text.slice(start, end);
  if (names.diseaseScore(name) < MIN_ITEM_NAME_SCORE) return;
  const kept = entities.filter((e) => e.end <= start || e.start >= end);
  const at = kept.findIndex((e) => e.start >= end);
  const item: Entity = { type: 'disease', text: name, start, end, assertion: 'present', confidence };
  kept.splice(at < 0 ? kept.length : at, 0, item);
  found[s] = kept;
}
