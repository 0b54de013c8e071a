import { describe, expect, it } from 'vitest';
import { attributeStrings, BIAS_ATTRIBUTE, FeatureEncoder, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import { TEMPLATE_LIBRARY, type FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { trainRelevanceModels } from '../../src/core/tagger/sentence-relevance.js';
import { learnSpanLexicon } from '../../src/core/tagger/span-lexicon.js';
import { readSample, sampleResources } from '../helpers/sample-model.js';

/**
 * The encoder's fast paths (per-word caches, pair and word-join templates, the relevance index) must give
 * the ids of exactly the attribute strings the trainer sees, in the same order. Checked here over every
 * template with every resource present, against an id map that knows only some of the attributes.
 */
describe('FeatureEncoder', () => {
  it('maps every template of the library to the ids of the string path, unknown attributes left out', async () => {
    const sentences = [...(await readSample('train')), ...(await readSample('test'))];
    const examples = sentences.map((s) => ({ lowerWords: s.tokens.map((t) => t.toLowerCase()), labels: s.labels }));
    const resources: FeatureResources = {
      ...(await sampleResources()),
      relevance: trainRelevanceModels(examples, { epochs: 3, learningRate: 0.1, l2: 1e-4, seed: 1 }),
      spanLexicon: learnSpanLexicon(examples),
    };
    // compromise's contextual POS is a sentence template without a fast path and needs seconds to load.
    const templates = TEMPLATE_LIBRARY.filter((t) => t.name !== 'pos');
    const plan = planFeatures(templates);
    const unseen = [['Pt', 'c/o', 'fever', 'x3d', '.'], ['NO', 'EVIDENCE', 'OF', 'PNEUMONIA'], ['🙂'], ['a|b', '|', 'b']];
    const inputs = [...sentences.map((s) => s.tokens), ...unseen];
    // Every third distinct attribute is unknown to the "model", so skipping is exercised in every template.
    const ids = new Map<string, number>();
    let seen = 0;
    for (const words of inputs) {
      for (const attributes of attributeStrings(plan, words, resources)) {
        for (const attribute of attributes) if (!ids.has(attribute) && seen++ % 3 !== 2) ids.set(attribute, ids.size);
      }
    }
    const templatesWithIds = new Set([...ids.keys()].filter((a) => a !== BIAS_ATTRIBUTE).map((a) => a.slice(0, a.indexOf('['))));
    expect([...templatesWithIds].sort()).toEqual(templates.map((t) => t.name).sort());

    // A cache of 30 words is cleared every few sentences: ids cached before a clear must not leak past it.
    for (const encoder of [new FeatureEncoder(plan, ids, resources), new FeatureEncoder(plan, ids, resources, { maxCachedWords: 30 })]) {
      for (const words of [...inputs, ...inputs]) {
        const expected = attributeStrings(plan, words, resources).map((item) => item.map((a) => ids.get(a)).filter((id) => id !== undefined));
        const { ids: flat, starts } = encoder.encode(words);
        expect(expected.map((_, t) => Array.from(flat.subarray(starts[t], starts[t + 1])))).toEqual(expected);
      }
    }
  });
});
