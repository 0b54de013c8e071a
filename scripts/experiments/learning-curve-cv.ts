/**
 * How strict F1 grows with annotated data: the production configuration trained, in each of the k folds
 * of the train split (never the test split), on a random fraction of the fold's training sentences (nested:
 * each fraction's sentences include the smaller fractions'; kept in corpus order, so fraction 1 is the
 * production configuration's own cross-validation) and scored on the fold's held-out sentences. Says
 * whether the next points need more annotation or more modelling.
 *   node --import tsx scripts/experiments/learning-curve-cv.ts [--fractions 0.125,0.25,0.5,1] [--folds 5]
 * Prints one JSON line per fraction (mean over the folds) and a last line with the least-squares gain in
 * F1 per doubling of the training sentences. About a minute per fraction on 2 cores.
 */
import { parseArgs } from 'node:util';
import { productionFolds } from './production-folds.js';
import { foldPartition, mulberry32, shuffleInPlace } from '../../src/core/text/folds.js';
import { evaluateTagger, trainTagger } from '../../src/training/train-tagger.js';

const { values } = parseArgs({ options: { fractions: { type: 'string', default: '0.125,0.25,0.5,1' }, folds: { type: 'string', default: '5' } } });
const fractions = values.fractions.split(',').map(Number);
if (fractions.some((f) => !(f > 0 && f <= 1))) throw new Error(`--fractions must lie in (0, 1]: ${values.fractions}`);
const { spec, resources, sentences, folds } = await productionFolds(Number(values.folds));

const TYPES = ['micro', 'disease', 'treatment'] as const;
type Scores = Record<(typeof TYPES)[number], number>;
const results = fractions.map((fraction) => ({ fraction, scores: [] as Scores[], sentences: [] as number[] }));

/** Each sentence's position in a seeded random order: the sentences ranked below n are the subset of size n. */
function randomRanks(n: number, seed: number): Int32Array {
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), mulberry32(seed));
  const ranks = new Int32Array(n);
  order.forEach((index, position) => (ranks[index] = position));
  return ranks;
}

for (let fold = 0; fold < folds.length; fold++) {
  const { train, heldOut } = foldPartition(sentences, folds, fold);
  const ranks = randomRanks(train.length, 1_000 + fold);
  for (const result of results) {
    const size = Math.round(train.length * result.fraction);
    const subset = train.filter((_, i) => (ranks[i] as number) < size);
    const { model } = await trainTagger(subset, spec, resources);
    const { strict } = evaluateTagger(model, heldOut);
    result.scores.push({ micro: strict.micro.f1, disease: strict.disease.f1, treatment: strict.treatment.f1 });
    result.sentences.push(subset.length);
  }
  console.error(`fold ${fold + 1} of ${folds.length} done`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number) => Number(x.toFixed(4));
for (const { fraction, scores, sentences: sizes } of results) {
  console.log(JSON.stringify({
    bench: 'learning-curve', fraction, training_sentences: Math.round(mean(sizes)),
    ...Object.fromEntries(TYPES.map((t) => [`strict_${t}_f1`, round(mean(scores.map((s) => s[t])))])),
    strict_micro_f1_by_fold: scores.map((s) => round(s.micro)),
  }));
}
if (results.length >= 2) {
  // Least squares of mean F1 on log2(training sentences): the gain per doubling.
  const x = results.map((r) => Math.log2(mean(r.sentences)));
  const slope = (y: number[]) => {
    const mx = mean(x);
    const my = mean(y);
    return x.reduce((s, xi, i) => s + (xi - mx) * ((y[i] as number) - my), 0) / x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
  };
  console.log(JSON.stringify({
    bench: 'learning-curve-slope',
    ...Object.fromEntries(TYPES.map((t) => [`strict_${t}_f1_per_doubling`, round(slope(results.map((r) => mean(r.scores.map((s) => s[t])))))])),
  }));
}
