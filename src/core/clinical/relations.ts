import type { Assertion, Entity, Pair } from '../text/types.js';

/** Negated entities and a relative's are not the patient's: they form no pair. */
const UNPAIRED: ReadonlySet<Assertion> = new Set(['absent', 'family']);

/**
 * Most pairs a note lists; the rest (in order of first appearance) are left out. Every disease of a group
 * pairs with every treatment, so a note-style note listing thousands of distinct names would otherwise give
 * millions of pairs (a 100,000-character prescription made 7 million in 11 s). The most an MTSamples note
 * gives is 1,540.
 */
export const MAX_PAIRS_PER_NOTE = 10_000;

/**
 * The case study's "disease → treatments" dictionary: a treatment is paired with every diagnosis (a disease
 * whose kind is not symptom) named in the same group (a sentence of prose; a whole note in note style, see extract.ts), unless either is absent or a relative's ("no pneumonia; started amoxicillin" pairs
 * nothing). Pairs are unique per note (case-insensitively), in order of first appearance, at most
 * {@link MAX_PAIRS_PER_NOTE}.
 */
export function pairsBySentence(entitiesBySentence: readonly (readonly Entity[])[]): Pair[] {
  const pairs: Pair[] = [];
  // Each distinct lower-cased name gets a number: `seen` holds, per disease, the treatments it is paired with.
  const ids = new Map<string, number>();
  const seen = new Map<number, Set<number>>();
  for (const entities of entitiesBySentence) {
    // A name repeated in a group pairs as its first mention did: only distinct names are crossed, which keeps
    // a group that repeats one name thousands of times linear.
    const diseases = distinctNames(entities, 'disease', ids);
    const treatments = distinctNames(entities, 'treatment', ids);
    for (const disease of diseases) {
      let paired = seen.get(disease.id);
      if (paired === undefined) seen.set(disease.id, (paired = new Set()));
      for (const treatment of treatments) {
        if (paired.has(treatment.id)) continue;
        paired.add(treatment.id);
        pairs.push({ disease: disease.text, treatment: treatment.text });
        if (pairs.length >= MAX_PAIRS_PER_NOTE) return pairs;
      }
    }
  }
  return pairs;
}

interface Name {
  text: string;
  id: number;
}

/** The group's entities of `type` that can pair, one per lower-cased text (the first mention's spelling). */
function distinctNames(entities: readonly Entity[], type: Entity['type'], ids: Map<string, number>): Name[] {
  const names: Name[] = [];
  const inGroup = new Set<number>();
  for (const entity of entities) {
    if (entity.type !== type || UNPAIRED.has(entity.assertion) || entity.kind === 'symptom') continue;
    const lower = entity.text.toLowerCase();
    let id = ids.get(lower);
    if (id === undefined) ids.set(lower, (id = ids.size));
    if (inGroup.has(id)) continue;
    inGroup.add(id);
    names.push({ text: entity.text, id });
  }
  return names;
}
