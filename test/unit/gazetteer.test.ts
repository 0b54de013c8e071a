import { describe, expect, it } from 'vitest';
import { buildGazetteer, extendGazetteer, MAX_PHRASE_TOKENS } from '../../src/core/tagger/gazetteer.js';
import type { WordMemo } from '../../src/core/tagger/word-memo.js';

const gazetteer = buildGazetteer([
  { tokens: ['lung', 'cancer'], kind: 'disease' },
  { tokens: ['non-small', 'cell', 'lung', 'cancer'], kind: 'disease' },
  { tokens: ['cancer'], kind: 'disease' },
  { tokens: ['cisplatin'], kind: 'drug' },
  { tokens: ['iron'], kind: 'drug' },
  { tokens: ['iron'], kind: 'disease' },
  { tokens: ['cisplatin'], kind: 'drug' },
]);

describe('gazetteer', () => {
  it('tags the longest match with B-/I- per kind', () => {
    const words = ['advanced', 'non-small', 'cell', 'lung', 'cancer', 'treated', 'with', 'cisplatin'];
    expect(gazetteer.match(words)).toEqual([[], ['B-disease'], ['I-disease'], ['I-disease'], ['I-disease'], [], [], ['B-drug']]);
  });

  it('lets a word carry both kinds when both lists name it', () => {
    expect(gazetteer.match(['iron'])).toEqual([['B-disease', 'B-drug']]);
  });

  it('falls back to a shorter match after a partial longer one', () => {
    expect(gazetteer.match(['lung', 'cancer', 'cancer'])).toEqual([['B-disease'], ['I-disease'], ['B-disease']]);
  });

  it('keeps distinct entries once and drops phrases longer than the limit', () => {
    const long = buildGazetteer([{ tokens: Array.from({ length: MAX_PHRASE_TOKENS + 1 }, () => 'x'), kind: 'drug' }]);
    expect(long.size).toBe(0);
    expect(gazetteer.size).toBe(6);
  });

  it('returns one empty tag list per word when nothing matches', () => {
    expect(gazetteer.match([])).toEqual([]);
    expect(gazetteer.match(['no', 'match'])).toEqual([[], []]);
  });
});

describe('extendGazetteer', () => {
  it('matches the base names and its own, never an excluded phrase, exactly as one gazetteer of them all would', () => {
    const base = buildGazetteer([
      { tokens: ['iron'], kind: 'drug' },
      { tokens: ['iron', 'deficiency'], kind: 'disease' },
      { tokens: ['iron', 'deficiency', 'anemia'], kind: 'disease' },
      { tokens: ['today'], kind: 'drug' },
    ]);
    const own = [{ tokens: ['htn'], kind: 'disease' as const }, { tokens: ['iron'], kind: 'drug' as const }];
    const excluded = ['today', 'iron deficiency'];
    const extended = extendGazetteer(base, own, { excluded });
    const whole = buildGazetteer([...base.entries(), ...own].filter((e) => !excluded.includes(e.tokens.join(' '))));
    for (const sentence of ['htn and iron deficiency today', 'iron deficiency anemia on iron', 'today']) {
      const words = sentence.split(' ');
      expect(extended.matchSpans(words), sentence).toEqual(whole.matchSpans(words));
      expect(extended.match(words), sentence).toEqual(whole.match(words));
    }
    expect(extended.size).toBe(whole.size);
    expect(base.matchSpans(['today'])).toEqual([{ start: 0, end: 1, kind: 'drug' }]);
  });
});

describe('gazetteer matching with word memos', () => {
  it('matches as without them, on the memo\'s first use and from its cache, one memo per distinct word', () => {
    const base = buildGazetteer([
      { tokens: ['iron'], kind: 'drug' },
      { tokens: ['iron', 'deficiency', 'anemia'], kind: 'disease' },
      { tokens: ['lung', 'cancer'], kind: 'disease' },
    ]);
    const extended = extendGazetteer(base, [{ tokens: ['htn'], kind: 'disease' }], { excluded: ['iron'] });
    const memos = new Map<string, WordMemo>();
    const memosOf = (words: string[]) => words.map((w) => memos.get(w) ?? memos.set(w, {}).get(w) as WordMemo);
    for (const g of [base, extended, gazetteer]) {
      for (const sentence of ['htn with iron deficiency anemia on iron', 'lung cancer and iron', 'iron deficiency anemia', 'iron']) {
        const words = sentence.split(' ');
        const expected = g.match(words);
        expect(g.match(words, memosOf(words)), sentence).toEqual(expected);
        expect(g.match(words, memosOf(words)), sentence).toEqual(expected);
      }
    }
  });
});
