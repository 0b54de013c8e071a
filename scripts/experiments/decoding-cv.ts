/**
 * How the production model's configuration scores under each span decoding, by k-fold cross-validation on
 * the train split (never the test split): the experiment behind models/README.md's choice of decoding.
 *   node --import tsx scripts/experiments/decoding-cv.ts [--thresholds 0.1,0.15,0.2,0.25,0.3] [--biases -0.25,0,0.25] [--folds 5] [--seed 42]
 * Trains one unbiased CRF per fold (in this process, about 25 s each), then for each entity bias scores
 * Viterbi and marginal decoding at each threshold on the held-out fold. Prints one JSON line per
 * configuration: strict micro F1 mean and per fold.
 */
import { parseArgs } from 'node:util';
import { productionFolds } from './production-folds.js';
import { foldPartition } from '../../src/core/text/folds.js';
import { evaluateTagger, modelFromBytes, trainTagger, withEntityBias } from '../../src/training/train-tagger.js';
import type { TrainingSpec } from '../../src/core/tagger/training-spec.js';
import { VITERBI, type SpanDecoding } from '../../src/core/tagger/span-decoding.js';

const { values } = parseArgs({
  options: {
    thresholds: { type: 'string', default: '0.1,0.15,0.2,0.25,0.3' },
    biases: { type: 'string', default: '-0.25,0,0.25' },
    folds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
  },
});
const numbers = (text: string) => text.split(',').map(Number);
const { spec, resources, sentences, folds } = await productionFolds(Number(values.folds), Number(values.seed));
// Without the card's entity bias and decoding: both are varied below.
const base: TrainingSpec = { templates: spec.templates, spanRules: spec.spanRules, labelEncoding: spec.labelEncoding, parameters: { ...spec.parameters, entityBias: { D: 0, T: 0 } } };
const decodings: SpanDecoding[] = [VITERBI, ...numbers(values.thresholds).map((threshold): SpanDecoding => ({ method: 'marginals', threshold, maxLength: 10 }))];
const scores = new Map<string, number[]>();
for (let fold = 0; fold < folds.length; fold++) {
  const { train, heldOut } = foldPartition(sentences, folds, fold);
  const trained = await trainTagger(train, base, resources);
  for (const bias of numbers(values.biases)) {
    for (const decoding of decodings) {
      const spec = { ...base, decoding };
      const model = modelFromBytes(withEntityBias(trained.crfBytes, bias), spec, trained.resources, `fold-${fold}`);
      const key = JSON.stringify({ entityBias: bias, decoding });
      scores.set(key, [...(scores.get(key) ?? []), evaluateTagger(model, heldOut).strict.micro.f1]);
    }
  }
  console.error(`fold ${fold + 1}/${folds.length} done`);
}
for (const [key, perFold] of scores) {
  const mean = perFold.reduce((a, b) => a + b, 0) / perFold.length;
  console.log(JSON.stringify({ ...JSON.parse(key), strictMicroF1: Number(mean.toFixed(4)), perFold: perFold.map((f) => Number(f.toFixed(4))) }));
}
