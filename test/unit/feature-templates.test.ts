import porterStemmer from 'natural/lib/natural/stemmers/porter_stemmer.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { boundedStem, MAX_STEMMED_WORD_LENGTH, resolveTemplates, type FeatureResources, type WordTemplate } from '../../src/core/tagger/feature-templates.js';

const NO_RESOURCES: FeatureResources = { gazetteer: null, clusters: null, relevance: null, posLexicon: null, notesPosLexicon: null, spanLexicon: null };

describe('the stem template', () => {
  const [stem] = resolveTemplates(['stem']) as [WordTemplate];

  it('gives the Porter stem of the lower-cased word, as natural does', () => {
    for (const word of ['Treatments', 'treated', 'relational', 'hypertensive', 'chemotherapies', 'di-N-acetylneuraminyl-3-galactosyl-N-acetylgalactosamine']) {
      expect(stem.values(word, NO_RESOURCES)).toEqual([porterStemmer.stem(word.toLowerCase())]);
    }
    expect(stem.values('Treatments', NO_RESOURCES)).toEqual(['treatment']);
  });

  it('stems a word of MAX_STEMMED_WORD_LENGTH characters and leaves a longer one whole', () => {
    const longest = `${'a'.repeat(MAX_STEMMED_WORD_LENGTH - 3)}ing`;
    expect(boundedStem(longest)).toBe(porterStemmer.stem(longest));
    expect(boundedStem(longest)).not.toBe(longest);
    const longer = `${'a'.repeat(MAX_STEMMED_WORD_LENGTH - 2)}ing`;
    expect(boundedStem(longer)).toBe(longer);
    expect(stem.values(longer.toUpperCase(), NO_RESOURCES)).toEqual([longer]);
  });

  it('leaves no word of the training and test splits unstemmed, nor one whose stem a model may know', async () => {
    const { corpusDir } = loadConfig();
    let longest = 0;
    for (const split of ['train', 'test'] as const) {
      for (const sentence of (await readBeHealthySplit(corpusDir, split)).sentences) for (const token of sentence.tokens) longest = Math.max(longest, token.length);
    }
    expect(longest).toBeGreaterThan(40);
    // Porter's steps remove at most 21 characters: the stem of a longer word is longer than any training word.
    expect(longest + 21).toBeLessThan(MAX_STEMMED_WORD_LENGTH);
  });

  it('costs no more than reading the word on a 100,000-letter word (natural alone takes tens of seconds)', () => {
    const started = performance.now();
    expect(stem.values('x'.repeat(100_000), NO_RESOURCES)).toEqual(['x'.repeat(100_000)]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
