import { describe, expect, it } from 'vitest';
import { buildGazetteer, MAX_PHRASE_TOKENS } from '../../src/core/gazetteer.js';

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
