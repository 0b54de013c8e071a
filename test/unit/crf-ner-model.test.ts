import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceTagger } from '../../src/core/tagger/crfsuite-binding.js';
import { attributeStrings, FeatureEncoder, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import { resolveTemplates } from '../../src/core/tagger/feature-templates.js';
import { addItemStateScores } from '../../src/core/tagger/viterbi.js';
import { readSample, sampleModel, sampleResources, sampleSpec } from '../helpers/sample-model.js';
import { modelFromBytes, withEntityBias, type TrainedTagger } from '../../src/training/train-tagger.js';

describe('CRF tagger in JavaScript', () => {
  let trained: TrainedTagger;
  let dir: string;
  beforeAll(async () => {
    trained = await sampleModel();
    dir = await mkdtemp(join(tmpdir(), 'crf-ner-model-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives every attribute of the string path, in the same order, when it maps words to ids', async () => {
    const plan = planFeatures(resolveTemplates(sampleSpec.templates));
    const resources = await sampleResources();
    const ids = trained.model.weights.attributeIds;
    const encoder = new FeatureEncoder(plan, ids, resources);
    for (const sentence of [...(await readSample('train')), ...(await readSample('test'))]) {
      const expected = attributeStrings(plan, sentence.tokens, resources).map((item) =>
        item.map((a) => ids.get(a)).filter((id): id is number => id !== undefined),
      );
      const { ids: flat, starts } = encoder.encode(sentence.tokens);
      const actual = expected.map((_, t) => Array.from(flat.subarray(starts[t], starts[t + 1])));
      expect(actual).toEqual(expected);
    }
  });

  it('scores states as the sum of the encoded attributes\' weights, also after its word cache is cleared', async () => {
    const plan = planFeatures(resolveTemplates(sampleSpec.templates));
    // The trained model's resources: with its relevance classifier, so word-x-relevance has values.
    const { resources } = trained;
    expect(resources.relevance).not.toBeNull();
    expect(sampleSpec.templates).toContain('word-x-relevance');
    const { weights } = trained.model;
    const L = weights.labels.length;
    const encoder = new FeatureEncoder(plan, weights.attributeIds, resources, { weights, maxCachedWords: 40 });
    const sentences = [...(await readSample('train')), ...(await readSample('test'))].map((s) => s.tokens);
    for (const words of [...sentences, ...sentences.slice(0, 3), ['Pt', 'c/o', 'fever', 'x3d'], ['\ud800', 'x']]) {
      const expected = new Float64Array(words.length * L);
      const { ids, starts } = encoder.encode(words);
      for (let t = 0; t < words.length; t++) addItemStateScores(weights, ids, expected, t, starts[t], starts[t + 1]);
      const actual = new Float64Array(words.length * L).fill(Number.NaN);
      encoder.scoreStates(words, actual);
      for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k] as number, 12);
    }
    expect(() => new FeatureEncoder(plan, weights.attributeIds, resources).scoreStates(['x'], new Float64Array(L))).toThrow(/weights/);
  });

  it('predicts exactly the labels CRFsuite predicts for the same model', async () => {
    const path = join(dir, 'model.crfsuite');
    await writeFile(path, trained.crfBytes);
    const reference = referenceTagger(path);
    const sentences = [...(await readSample('train')), ...(await readSample('test'))];
    const unseen = [['Pt', 'c/o', 'fever', 'x3d', '.'], ['Rx', ':', 'tab', 'azithromycin', '500', 'mg', 'OD'], ['🙂'], ['\u0001', 'x'], ['\u0000psoriasis', 'responded'], ['\ud800', 'phototherapy', '\udc00x']];
    for (const words of [...sentences.map((s) => s.tokens), ...unseen]) {
      expect(trained.model.tag(words)).toEqual(reference.tag(trained.model.attributes(words)));
    }
    reference.close();
  });

  it('tags an empty sentence as nothing', () => {
    expect(trained.model.tag([])).toEqual([]);
  });
});

describe('entity bias written into the model file', () => {
  it('shifts entity labels by the bias, and CRFsuite reads the patched file the same way we do', async () => {
    const trained = await sampleModel();
    const dir = await mkdtemp(join(tmpdir(), 'entity-bias-'));
    const spec = sampleSpec;
    const sentences = [...(await readSample('train')), ...(await readSample('test'))];
    const entityTokens = (model: { tag(w: string[]): string[] }) => sentences.reduce((n, s) => n + model.tag(s.tokens).filter((t) => t !== 'O').length, 0);
    const biased = withEntityBias(trained.crfBytes, 2);
    const model = modelFromBytes(biased, spec, trained.resources, 'biased');
    expect(entityTokens(model)).toBeGreaterThan(entityTokens(trained.model));
    await writeFile(join(dir, 'biased.crfsuite'), biased);
    const reference = referenceTagger(join(dir, 'biased.crfsuite'));
    for (const s of sentences) expect(model.tag(s.tokens)).toEqual(reference.tag(model.attributes(s.tokens)));
    reference.close();
    expect(withEntityBias(trained.crfBytes, 0)).toBe(trained.crfBytes);
    await rm(dir, { recursive: true, force: true });
  });
});
