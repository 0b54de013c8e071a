import type { ExtractionRecord, Entity } from '../text/types.js';

/**
 * How well a record codes what it finds and pairs it, against notes annotated with their diseases (each with its
 * ICD-10-CM code), drugs (each with its active ingredients) and pairs. Scored on what the model finds:
 * - ICD-10-CM category: of the diseases found that are annotated diseases (a found span overlapping an annotated
 *   one), the share whose first code has the annotated code's category (its first 3 characters);
 * - generic: of the drugs found that are annotated drugs, the share whose `generic` is the annotated ingredients
 *   (as a set, case-insensitively);
 * - pairs: precision and recall of the record's pairs against the annotated ones; a pair matches when its disease
 *   and its treatment each contain the annotated name or lie within it (the model's boundaries may differ).
 */
export interface CodePairNote {
  id: string;
  split?: string;
  text: string;
  diseases: { text: string; icd10cm: string }[];
  drugs: { text: string; generic: string[] }[];
  pairs: { disease: string; treatment: string }[];
}

export interface Share {
  correct: number;
  total: number;
  accuracy: number;
}

export interface CodePairReport {
  notes: number;
  icd10cmCategory: Share;
  /** The full code (not only its category) right. */
  icd10cmCode: Share;
  generic: Share;
  /** Annotated diseases and drugs the model found at all. */
  diseasesFound: Share;
  drugsFound: Share;
  pairs: { precision: number; recall: number; f1: number; predicted: number; gold: number; matchedPredicted: number; matchedGold: number };
  /** Recall of the annotated pairs whose disease and treatment the model both found: the pairing alone, without the tagger's misses. */
  pairsOfFoundEntities: { recall: number; gold: number; matchedGold: number };
  /** Pairs by evidence: how many the record gave and how many of them are right. */
  byEvidence: Record<string, { predicted: number; correct: number }>;
  errors: { note: string; kind: 'code' | 'generic' | 'spurious-pair' | 'missed-pair'; text: string; expected?: string; got?: string }[];
}

const share = (correct: number, total: number): Share => ({ correct, total, accuracy: total === 0 ? 0 : round3(correct / total) });
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Every occurrence of an annotated name in the note, as [start, end). */
function occurrences(text: string, name: string): [number, number][] {
  const found: [number, number][] = [];
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) found.push([at, at + name.length]);
  return found;
}

const overlap = (entity: Entity, [start, end]: [number, number]): number => Math.max(0, Math.min(entity.end, end) - Math.max(entity.start, start));

/** Each found entity with the annotated name it overlaps most (found entities overlapping none are not scored). */
function assign<T extends { text: string }>(text: string, found: readonly Entity[], annotated: readonly T[]): [Entity, T][] {
  const spans = annotated.map((item) => ({ item, spans: occurrences(text, item.text) }));
  const result: [Entity, T][] = [];
  for (const entity of found) {
    let best: T | undefined;
    let bestOverlap = 0;
    for (const { item, spans: at } of spans) {
      for (const span of at) {
        const o = overlap(entity, span);
        if (o > bestOverlap) {
          best = item;
          bestOverlap = o;
        }
      }
    }
    if (best) result.push([entity, best]);
  }
  return result;
}

function sameName(found: string, gold: string): boolean {
  const a = found.toLowerCase();
  const b = gold.toLowerCase();
  return a.includes(b) || b.includes(a);
}

export function evaluateCodesAndPairs(notes: readonly CodePairNote[], extract: (note: CodePairNote) => ExtractionRecord): CodePairReport {
  let categoryRight = 0;
  let codeRight = 0;
  let diseasesScored = 0;
  let genericRight = 0;
  let drugsScored = 0;
  let diseasesFound = 0;
  let diseasesGold = 0;
  let drugsFound = 0;
  let drugsGold = 0;
  let predicted = 0;
  let matchedPredicted = 0;
  let gold = 0;
  let matchedGold = 0;
  let foundGold = 0;
  let matchedFoundGold = 0;
  const byEvidence: CodePairReport['byEvidence'] = {};
  const errors: CodePairReport['errors'] = [];
  for (const note of notes) {
    const record = extract(note);
    const diseases = assign(note.text, record.diseases, note.diseases);
    diseasesGold += note.diseases.length;
    diseasesFound += new Set(diseases.map(([, gold]) => gold)).size;
    for (const [entity, disease] of diseases) {
      diseasesScored++;
      const code = entity.codes?.find((c) => c.system === 'ICD-10-CM')?.code;
      if (code?.slice(0, 3) === disease.icd10cm.slice(0, 3)) categoryRight++;
      else errors.push({ note: note.id, kind: 'code', text: entity.text, expected: disease.icd10cm, ...(code ? { got: code } : {}) });
      if (code === disease.icd10cm) codeRight++;
    }
    const drugs = assign(note.text, record.treatments, note.drugs);
    drugsGold += note.drugs.length;
    drugsFound += new Set(drugs.map(([, gold]) => gold)).size;
    for (const [entity, drug] of drugs) {
      drugsScored++;
      const expected = [...new Set(drug.generic.map((g) => g.toLowerCase()))].sort();
      const got = [...new Set((entity.generic ?? []).map((g) => g.toLowerCase()))].sort();
      if (got.join('+') === expected.join('+')) genericRight++;
      else errors.push({ note: note.id, kind: 'generic', text: entity.text, expected: expected.join(' + '), got: got.join(' + ') });
    }
    const matches = (p: { disease: string; treatment: string }, g: { disease: string; treatment: string }): boolean => sameName(p.disease, g.disease) && sameName(p.treatment, g.treatment);
    predicted += record.pairs.length;
    gold += note.pairs.length;
    for (const pair of record.pairs) {
      const right = note.pairs.some((g) => matches(pair, g));
      const evidence = pair.evidence ?? 'none';
      const tally = (byEvidence[evidence] ??= { predicted: 0, correct: 0 });
      tally.predicted++;
      if (right) {
        matchedPredicted++;
        tally.correct++;
      } else errors.push({ note: note.id, kind: 'spurious-pair', text: `${pair.disease} → ${pair.treatment}`, got: evidence });
    }
    const isFound = (name: string, entities: readonly Entity[]): boolean => occurrences(note.text, name).some((span) => entities.some((e) => overlap(e, span) > 0));
    for (const pair of note.pairs) {
      const matched = record.pairs.some((p) => matches(p, pair));
      const found = isFound(pair.disease, record.diseases) && isFound(pair.treatment, record.treatments);
      if (found) foundGold++;
      if (matched) matchedGold++;
      if (matched && found) matchedFoundGold++;
      if (!matched) errors.push({ note: note.id, kind: 'missed-pair', text: `${pair.disease} → ${pair.treatment}${found ? '' : ' (not both found)'}` });
    }
  }
  const precision = predicted === 0 ? 0 : matchedPredicted / predicted;
  const recall = gold === 0 ? 0 : matchedGold / gold;
  return {
    notes: notes.length,
    icd10cmCategory: share(categoryRight, diseasesScored),
    icd10cmCode: share(codeRight, diseasesScored),
    generic: share(genericRight, drugsScored),
    diseasesFound: share(diseasesFound, diseasesGold),
    drugsFound: share(drugsFound, drugsGold),
    pairs: { precision: round3(precision), recall: round3(recall), f1: precision + recall === 0 ? 0 : round3((2 * precision * recall) / (precision + recall)), predicted, gold, matchedPredicted, matchedGold },
    pairsOfFoundEntities: { recall: foundGold === 0 ? 0 : round3(matchedFoundGold / foundGold), gold: foundGold, matchedGold: matchedFoundGold },
    byEvidence,
    errors,
  };
}
