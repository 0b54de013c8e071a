import type { Assertion, Entity, Pair } from './types.js';

/** Negated entities and a relative's are not the patient's: they form no pair. */
const UNPAIRED: ReadonlySet<Assertion> = new Set(['absent', 'family']);

/**
 * The case study's "disease → treatments" dictionary: a treatment is paired with every disease named in
 * the same group (a sentence of prose; a whole note in note style, see extract.ts), unless either is absent or a relative's ("no pneumonia; started amoxicillin" pairs
 * nothing). Pairs are unique per note (case-insensitively), in order of first appearance.
 */
export function pairsBySentence(entitiesBySentence: readonly (readonly Entity[])[]): Pair[] {
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  for (const entities of entitiesBySentence) {
    const diseases = entities.filter((e) => e.type === 'disease' && !UNPAIRED.has(e.assertion));
    const treatments = entities.filter((e) => e.type === 'treatment' && !UNPAIRED.has(e.assertion));
    for (const disease of diseases) {
      for (const treatment of treatments) {
        const key = `${disease.text.toLowerCase()}\u0000${treatment.text.toLowerCase()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        pairs.push({ disease: disease.text, treatment: treatment.text });
      }
    }
  }
  return pairs;
}
