import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFuzzyWords, likeliestWordOneEditAway } from '../../src/core/tagger/fuzzy-words.js';
import { buildGazetteer, extendGazetteer } from '../../src/core/tagger/gazetteer.js';
import { parseGazetteer, serializeGazetteer } from '../../src/corpus/lexicons.js';

const vocabulary = new Map(
  ['diabetes', 'diabetes', 'diabetic', 'hypertension', 'paracetamol', 'metformin', 'mellitus', 'asthma', 'amlodipine', 'amlodipina'].map((w, i, all) => [w, all.filter((x) => x === w).length]),
);

describe('misspelt vocabulary words', () => {
  it('reads a deleted, inserted, changed or swapped letter as the word', () => {
    expect(likeliestWordOneEditAway('diabetis', vocabulary)).toBe('diabetes');
    expect(likeliestWordOneEditAway('hypertenshion', vocabulary)).toBe('hypertension');
    expect(likeliestWordOneEditAway('paracetmol', vocabulary)).toBe('paracetamol');
    expect(likeliestWordOneEditAway('metfromin', vocabulary)).toBe('metformin');
  });

  it('prefers the word more names use, and reads nothing two edits away, when the first letter differs, or on a tie', () => {
    expect(likeliestWordOneEditAway('diabetis', vocabulary)).toBe('diabetes');
    expect(likeliestWordOneEditAway('diabtis', vocabulary)).toBeNull();
    expect(likeliestWordOneEditAway('xiabetes', vocabulary)).toBeNull();
    // amlodipine and amlodipina are both one edit from amlodipinx, each in one name
    expect(likeliestWordOneEditAway('amlodipinx', vocabulary)).toBeNull();
  });

  it('leaves alone short words, vocabulary words, known words and words with other characters', () => {
    const fuzzy = createFuzzyWords(vocabulary, new Set(['diabetic']));
    expect(fuzzy.correct('asthmx')).toBe('asthma');
    expect(fuzzy.correct('asthm')).toBeUndefined();
    expect(fuzzy.correct('diabetes')).toBeUndefined();
    expect(fuzzy.correct('diabetic')).toBeUndefined();
    expect(fuzzy.correct('diabet3s')).toBeUndefined();
    // a word longer than any name word is not looked at (its one-edit variants would cost in its length squared)
    let lookups = 0;
    const counted = new Map(vocabulary);
    const get = counted.get.bind(counted);
    counted.get = (key: string) => (lookups++, get(key));
    const watched = createFuzzyWords(counted, new Set());
    expect(watched.correct('asthmx')).toBe('asthma');
    expect(lookups).toBeGreaterThan(0);
    lookups = 0;
    expect(watched.correct('a' + 'x'.repeat(100_000))).toBeUndefined();
    expect(lookups).toBe(0);
  });

  it('finds only words of the vocabulary one edit away, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (word) => {
        const found = likeliestWordOneEditAway(word.toLowerCase(), vocabulary);
        if (found !== null) expect(vocabulary.has(found)).toBe(true);
      }),
    );
  });
});

describe('gazetteer with known words', () => {
  const entries = [
    { tokens: ['diabetes', 'mellitus'], kind: 'disease' as const },
    { tokens: ['hypertension'], kind: 'disease' as const },
    { tokens: ['metformin'], kind: 'drug' as const },
  ];

  it('matches misspelt names, also inside a phrase, only when known words are given', () => {
    const words = ['diabetis', 'mellitus', 'on', 'metfromin', 'for', 'hypertenshion'];
    const exact = buildGazetteer(entries);
    expect(exact.match(words).flat()).toEqual([]);
    const fuzzy = buildGazetteer(entries, { knownWords: new Set(['mellitis']) });
    expect(fuzzy.match(words)).toEqual([['B-disease'], ['I-disease'], [], ['B-drug'], [], ['B-disease']]);
    expect(fuzzy.matchSpans(words)).toEqual([
      { start: 0, end: 2, kind: 'disease' },
      { start: 3, end: 4, kind: 'drug' },
      { start: 5, end: 6, kind: 'disease' },
    ]);
    // a known word is a word, not a misspelling
    expect(fuzzy.match(['diabetes', 'mellitis']).flat()).toEqual([]);
  });

  it('keeps its known words through the file a model ships with, and in an extension', () => {
    const fuzzy = buildGazetteer(entries, { knownWords: new Set(['mellitis', 'patient']) });
    const read = parseGazetteer(serializeGazetteer(fuzzy), 'gazetteer.tsv.gz');
    expect([...(read.knownWords ?? [])].sort()).toEqual(['mellitis', 'patient']);
    expect(read.match(['metfromin'])).toEqual([['B-drug']]);
    const extended = extendGazetteer(read, [{ tokens: ['breathlessness'], kind: 'disease' }]);
    expect(extended.match(['breathlesness', 'metfromin'])).toEqual([['B-disease'], ['B-drug']]);
    expect(parseGazetteer(serializeGazetteer(buildGazetteer(entries)), 'g').knownWords).toBeNull();
  });
});
