/**
 * How the drift check (core/evaluation/drift.ts) reads samples that have NOT drifted, measured on the train split only
 * (the test split is never read here): each cross-validation fold against a profile of the other four, random
 * subsamples of a fold of about 1,000 and 3,000 tokens, and contiguous blocks of the train file (which is
 * ordered by kind of sentence: abstract sentences, then titles, then relation sentences, so a block is a real
 * sub-population and should read as drift).
 *   node --import tsx scripts/experiments/drift-validation.ts [--models DIR] [--model VERSION] [--repeats 20]
 * The predictions compared are out of fold: each fold's sentences tagged by a model trained, with the
 * production model's recipe (templates, parameters, entity bias, shipped external resources), on the other
 * folds (about a minute). Prints one JSON line per measurement.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { addPredictedSentence, buildTrainingProfile, compareDrift, DriftObserver, emptyPredictionCounts, type DriftResult } from '../../src/core/evaluation/drift.js';
import { tagSpans } from '../../src/core/extract.js';
import { foldPartition, kFoldIndices, mulberry32 } from '../../src/core/text/folds.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { readFixedResources } from '../../src/corpus/resource-files.js';
import { loadModel } from '../../src/registry/model-store.js';
import { trainTagger } from '../../src/training/train-tagger.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, model: { type: 'string' }, repeats: { type: 'string', default: '20' } } });
const config = loadConfig();
const thresholds = config.driftThresholds;
const { card, directory } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model);
// Resources learned from training sentences are learned again inside each fold.
const resources = await readFixedResources(directory);
const train = (await readBeHealthySplit(config.corpusDir, 'train')).sentences;
const folds = card.metrics.crossValidation?.folds ?? 5;
const seed = card.metrics.crossValidation?.seed ?? 42;
const foldOf = kFoldIndices(train.length, folds, seed);
const spec = { templates: card.templates, spanRules: card.spanRules ?? [], labelEncoding: card.labelEncoding, parameters: card.trainingParameters };

// Out-of-fold spans of every train sentence.
const spans: TokenSpan[][] = new Array(train.length);
const fold: number[] = new Array(train.length);
for (let f = 0; f < folds; f++) {
  const started = performance.now();
  const { train: rest } = foldPartition(train, foldOf, f);
  const { model } = await trainTagger(rest, spec, resources);
  for (const i of foldOf[f] as number[]) {
    spans[i] = tagSpans(model, (train[i] as { tokens: string[] }).tokens);
    fold[i] = f;
  }
  console.error(`fold ${f + 1}/${folds} trained and tagged in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const all = train.map((_, i) => i);
function profileOf(indices: readonly number[]) {
  const counts = emptyPredictionCounts();
  for (const i of indices) addPredictedSentence(counts, (train[i] as { tokens: string[] }).tokens.length, spans[i] as TokenSpan[]);
  return buildTrainingProfile({ sentences: indices.map((i) => train[i] as (typeof train)[number]), outOfFold: { counts, folds, seed } });
}
function sampleOf(indices: readonly number[]): DriftObserver {
  const observer = new DriftObserver();
  for (const i of indices) observer.addSentence((train[i] as { tokens: string[] }).tokens, spans[i] as TokenSpan[]);
  return observer;
}
const round = (x: number): number => Number(x.toFixed(4));
const featureScores = (r: DriftResult): Record<string, number> => Object.fromEntries(r.features.map((f) => [f.name, round(f.score)]));
const summary = (scores: number[]): Record<string, number> => {
  const sorted = [...scores].sort((a, b) => a - b);
  return {
    n: scores.length,
    min: round(sorted[0] as number),
    mean: round(scores.reduce((a, b) => a + b, 0) / scores.length),
    p90: round(sorted[Math.floor(0.9 * (sorted.length - 1))] as number),
    max: round(sorted[sorted.length - 1] as number),
    atOrAboveWatch: scores.filter((s) => s >= thresholds.watch).length,
  };
};

const repeats = Number(values.repeats);
const subsampleScores: Record<number, number[]> = { 1000: [], 3000: [] };
for (let f = 0; f < folds; f++) {
  const heldOut = all.filter((i) => fold[i] === f);
  const profile = profileOf(all.filter((i) => fold[i] !== f));
  const result = compareDrift(profile, sampleOf(heldOut), thresholds);
  console.log(JSON.stringify({ drift: `train fold ${f + 1} vs the other ${folds - 1}`, score: round(result.score), level: result.level, drivenBy: result.drivenBy, tokens: result.sample.tokens, features: featureScores(result) }));
  const random = mulberry32(1000 + f);
  for (const size of [1000, 3000]) {
    for (let r = 0; r < repeats; r++) {
      const order = heldOut.map((i) => ({ i, key: random() })).sort((a, b) => a.key - b.key);
      const chosen: number[] = [];
      let tokens = 0;
      for (const { i } of order) {
        if (tokens >= size) break;
        chosen.push(i);
        tokens += (train[i] as { tokens: string[] }).tokens.length;
      }
      (subsampleScores[size] as number[]).push(compareDrift(profile, sampleOf(chosen), thresholds).score);
    }
  }
}
for (const [size, scores] of Object.entries(subsampleScores)) {
  console.log(JSON.stringify({ drift: `random ~${size}-token subsamples of a fold vs the other folds`, ...summary(scores) }));
}
for (const size of [3000, 9000]) {
  const scores: number[] = [];
  const drivenBy: Record<string, number> = {};
  for (let start = 0; start < train.length; ) {
    const chosen: number[] = [];
    let tokens = 0;
    let i = start;
    for (; i < train.length && tokens < size; i++) {
      chosen.push(i);
      tokens += (train[i] as { tokens: string[] }).tokens.length;
    }
    start = i;
    if (tokens < 0.8 * size) break;
    const inBlock = new Set(chosen);
    const result = compareDrift(profileOf(all.filter((j) => !inBlock.has(j))), sampleOf(chosen), thresholds);
    scores.push(result.score);
    drivenBy[result.drivenBy] = (drivenBy[result.drivenBy] ?? 0) + 1;
  }
  console.log(JSON.stringify({ drift: `contiguous ~${size}-token blocks of the train file vs the rest (sub-populations)`, ...summary(scores), drivenBy }));
}
