import type { Entity, EntityType, Sentence } from '../text/types.js';

/**
 * An abbreviation a note defines beside an entity ("Graves' disease (GD)", "total parenteral nutrition (TPN)")
 * names the same thing wherever the note writes it again; the tagger, reading one sentence at a time, misses
 * most of those later mentions ("GD", "TPN" alone carry few features). This step marks them, after the way of
 * Schwartz and Hearst (2003): the letters of the abbreviation, in order, in its expansion, the first one
 * starting a word.
 */

/** An abbreviation as notes write one: 2 to 10 characters, upper-case first and last, no space. */
const ABBREVIATION = /^[A-Z][A-Za-z0-9-]{0,8}[A-Z0-9]$/;
const DEFINED_AFTER = /^(.*\S)\s*\(([^()\s]+)\)$/s;

export interface DefinedAbbreviation {
  abbreviation: string;
  type: EntityType;
  /** Where the definition writes it, when outside the entity: that mention is the definition's, not another. */
  at?: number;
}

/** Whether `abbreviation` can stand for `expansion`: its letters in order, the first one starting a word. */
export function abbreviates(abbreviation: string, expansion: string): boolean {
  const letters = abbreviation.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (letters.length < 2) return false;
  const words = expansion.toLowerCase();
  let at = words.search(new RegExp(`(?:^|[^a-z0-9])${letters[0]}`));
  if (at < 0) return false;
  for (const letter of letters) {
    at = words.indexOf(letter, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

/** The abbreviations the entities define: an entity ending in "(ABBR)", or one followed by it in the text. */
export function definedAbbreviations(text: string, entities: readonly Entity[]): DefinedAbbreviation[] {
  const defined: DefinedAbbreviation[] = [];
  for (const entity of entities) {
    const inside = DEFINED_AFTER.exec(entity.text);
    const after = inside ? undefined : /^\s*\(([^()\s]+)\)/.exec(text.slice(entity.end, entity.end + 16));
    const abbreviation = inside ? (inside[2] as string) : after?.[1];
    const expansion = inside ? (inside[1] as string) : entity.text;
    if (abbreviation && ABBREVIATION.test(abbreviation) && abbreviates(abbreviation, expansion)) {
      const at = after ? entity.end + (after[0].indexOf('(') + 1) : undefined;
      defined.push(at === undefined ? { abbreviation, type: entity.type } : { abbreviation, type: entity.type, at });
    }
  }
  return defined;
}

/**
 * The entities by sentence with every later mention of a defined abbreviation (the same characters as a whole
 * token, outside any entity) as an entity of its definition's type. An abbreviation defined for both a disease
 * and a treatment is left alone. `confidence`: the added entities' (what such mentions measured).
 */
export function withDefinedAbbreviations(text: string, sentences: readonly Sentence[], found: Entity[][], confidence: number): void {
  const definitions = definedAbbreviations(text, found.flat());
  if (definitions.length === 0) return;
  const typeOf = new Map<string, EntityType | null>();
  const definitionsAt = new Set<number>();
  for (const { abbreviation, type, at } of definitions) {
    if (at !== undefined) definitionsAt.add(at);
    const known = typeOf.get(abbreviation);
    typeOf.set(abbreviation, known === undefined || known === type ? type : null);
  }
  for (let s = 0; s < sentences.length; s++) {
    const entities = found[s] as Entity[];
    let added = false;
    for (const token of (sentences[s] as Sentence).tokens) {
      const type = typeOf.get(token.text);
      if (!type || definitionsAt.has(token.start)) continue;
      if (entities.some((e) => e.start < token.end && e.end > token.start)) continue;
      entities.push({ type, text: token.text, start: token.start, end: token.end, assertion: 'present', confidence });
      added = true;
    }
    if (added) entities.sort((a, b) => a.start - b.start);
  }
}
