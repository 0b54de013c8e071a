import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { DriftResult } from '../../src/core/evaluation/drift.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';
import { driftOfNotes, NoteDriftSample, trainingProfileOf } from '../../src/monitoring/drift-check.js';
import { loadModel, type LoadedModel } from '../../src/registry/model-store.js';

/**
 * The drift check on real data, with the shipped production model and the profile in its card: the corpus's
 * test split (held out from training, same MEDLINE source) must read as no drift, and real clinical notes
 * (MTSamples) as drift. Each case prints its figures as one JSON line.
 */
const MTSAMPLES_NOTES = 300;

function figures(name: string, result: DriftResult): Record<string, unknown> {
  const line = {
    drift: name,
    score: Number(result.score.toFixed(4)),
    level: result.level,
    drivenBy: result.drivenBy,
    sentences: result.sample.sentences,
    tokens: result.sample.tokens,
    features: Object.fromEntries(result.features.map((f) => [f.name, Number(f.score.toFixed(4))])),
  };
  console.log(JSON.stringify(line));
  return line;
}

describe('drift on real data (shipped model, its card\'s training profile)', () => {
  const config = loadConfig();
  let loaded: LoadedModel;
  let testSplit: DriftResult;
  beforeAll(async () => {
    loaded = await loadModel(config.modelDir);
    const sample = new NoteDriftSample(loaded.model);
    for (const sentence of (await readBeHealthySplit(config.corpusDir, 'test')).sentences) sample.addSentence(sentence.tokens);
    testSplit = sample.compare(trainingProfileOf(loaded.card), config.driftThresholds);
  });

  it('has a profile of the train split with out-of-fold predictions in its card', () => {
    const profile = trainingProfileOf(loaded.card);
    expect(profile.tokens).toBe(loaded.card.data.tokens);
    expect(profile.sentences).toBe(loaded.card.data.sentences);
    // Out of fold when the model was cross-validated; a model trained on several corpora without folds keeps the gold labels.
    expect(profile.predictions.source).toBe(loaded.card.metrics.crossValidation ? 'out-of-fold' : 'gold');
  });

  it('reads the test split against the training profile as no drift, or at most a watch for a multi-corpus model', () => {
    const line = figures('test split vs train profile', testSplit);
    expect(line.tokens).toBe(18_618);
    // The held-out split of one corpus the model learned from: no drift for a model of that corpus alone, at most a
    // watch for one that learned three more (its training profile is theirs too).
    const bound = loaded.card.corpora ? config.driftThresholds.retrain : config.driftThresholds.watch;
    expect(testSplit.score).toBeLessThan(bound);
    expect(loaded.card.corpora ? ['none', 'watch'] : ['none']).toContain(testSplit.level);
  });

  it(`reads ${MTSAMPLES_NOTES} MTSamples notes as drift (retrain or alert: score at least ${config.driftThresholds.retrain})`, async () => {
    const notes: string[] = [];
    for await (const note of readMtSamples(config.notesFile)) {
      notes.push(note.text);
      if (notes.length === MTSAMPLES_NOTES) break;
    }
    const result = driftOfNotes(loaded.model, trainingProfileOf(loaded.card), notes, config.driftThresholds);
    figures(`${MTSAMPLES_NOTES} mtsamples notes vs train profile`, result);
    expect(['retrain', 'alert']).toContain(result.level);
    expect(result.score).toBeGreaterThanOrEqual(config.driftThresholds.retrain);
    // Separated by a margin, not by a hair.
    expect(result.score).toBeGreaterThan((loaded.card.corpora ? 1.5 : 20) * Math.max(testSplit.score, 0.001));
  });
});
