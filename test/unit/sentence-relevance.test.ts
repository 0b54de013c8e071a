import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WordMemo } from '../../src/core/tagger/word-memo.js';
import { relevanceFeatures, relevanceProbability, type RelevanceModel } from '../../src/core/tagger/sentence-relevance.js';

/** The definition: the logistic of the bias plus the weight of each distinct feature string. */
function byFeatureStrings(model: RelevanceModel, lowerWords: readonly string[]): number {
  let z = model.bias;
  for (const feature of relevanceFeatures(lowerWords)) z += model.weights.get(feature) ?? 0;
  return 1 / (1 + Math.exp(-z));
}

const word = fc.constantFrom('the', 'cancer', 'treated', 'with', 'cisplatin', 'patients', '|', 'a|b', '.');

describe('relevanceProbability', () => {
  it('equals the feature-string definition exactly, repeated words and pairs counted once', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 30 }), fc.array(fc.tuple(fc.array(word, { minLength: 1, maxLength: 2 }), fc.double({ min: -3, max: 3, noNaN: true })), { maxLength: 40 }), (sentence, entries) => {
        const weights = new Map<string, number>();
        for (const [words, weight] of entries) {
          if (words.some((w) => w.includes('|'))) continue;
          weights.set(words.length === 1 ? `u:${words[0]}` : `b:${words[0]}|${words[1]}`, weight);
        }
        const model = { bias: 0.25, weights };
        expect(relevanceProbability(model, sentence)).toBe(byFeatureStrings(model, sentence));
        expect(relevanceProbability(model, sentence)).toBe(byFeatureStrings(model, sentence));
        // One memo per distinct word, as the encoder passes them: first use fills them, then they are read.
        const memoOf = new Map(sentence.map((w) => [w, {} as WordMemo]));
        const memos = sentence.map((w) => memoOf.get(w) as WordMemo);
        expect(relevanceProbability(model, sentence, memos)).toBe(byFeatureStrings(model, sentence));
        expect(relevanceProbability(model, sentence, memos)).toBe(byFeatureStrings(model, sentence));
      }),
    );
  });

  it('falls back to feature strings when a pair key is ambiguous', () => {
    const model = { bias: 0, weights: new Map([['b:a|b|c', 2], ['u:a', 1]]) };
    expect(relevanceProbability(model, ['a|b', 'c'])).toBe(byFeatureStrings(model, ['a|b', 'c']));
    expect(relevanceProbability(model, ['a', 'b|c'])).toBe(byFeatureStrings(model, ['a', 'b|c']));
  });
});
