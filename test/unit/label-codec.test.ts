import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLabels,
  encodeLabels,
  LABEL_ENCODINGS,
  labelsFromSpans,
  spansFromCorpusLabels,
  spansFromTags,
  type TokenSpan,
} from '../../src/core/tagger/label-codec.js';
import { CORPUS_LABELS, type CorpusLabel } from '../../src/core/text/types.js';
import { expectNerError } from '../helpers/errors.js';

const L = (s: string): CorpusLabel[] => [...s] as CorpusLabel[];
const labelArb = fc.constantFrom<CorpusLabel>(...CORPUS_LABELS);
const labelsArb = fc.array(labelArb, { maxLength: 20 });
const bioTagArb = fc.constantFrom('O', 'B-D', 'I-D', 'B-T', 'I-T');

/** Every label sequence of length 0..maxLength. */
function allSequences(maxLength: number): CorpusLabel[][] {
  let level: CorpusLabel[][] = [[]];
  const all: CorpusLabel[][] = [[]];
  for (let n = 1; n <= maxLength; n++) {
    level = level.flatMap((seq) => CORPUS_LABELS.map((l) => [...seq, l]));
    all.push(...level);
  }
  return all;
}

function expectOrderedDisjoint(spans: TokenSpan[], length: number): void {
  spans.forEach((s, i) => {
    expect(s.start).toBeLessThan(s.end);
    expect(s.start).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeLessThanOrEqual(length);
    const previous = spans[i - 1];
    if (previous) expect(previous.end).toBeLessThanOrEqual(s.start);
  });
}


describe('encodeLabels', () => {
  it('IO keeps the labels', () => {
    expect(encodeLabels(L('ODDTO'), 'IO')).toEqual(['O', 'D', 'D', 'T', 'O']);
  });

  it('BIO begins each maximal run with B- and continues it with I-', () => {
    expect(encodeLabels(L('ODDTOTTD'), 'BIO')).toEqual(['O', 'B-D', 'I-D', 'B-T', 'O', 'B-T', 'I-T', 'B-D']);
    expect(encodeLabels(L('DDDD'), 'BIO')).toEqual(['B-D', 'I-D', 'I-D', 'I-D']);
    expect(encodeLabels(L('DTDT'), 'BIO')).toEqual(['B-D', 'B-T', 'B-D', 'B-T']);
  });

  it('encodes empty and all-O sentences', () => {
    for (const encoding of LABEL_ENCODINGS) {
      expect(encodeLabels([], encoding)).toEqual([]);
      expect(encodeLabels(L('OOO'), encoding)).toEqual(['O', 'O', 'O']);
    }
  });
});

describe('decodeLabels', () => {
  it('strips BIO prefixes, tolerating an I- without a B-', () => {
    expect(decodeLabels(['I-D', 'I-D', 'O', 'B-T', 'I-T', 'I-D'], 'BIO')).toEqual(L('DDOTTD'));
  });

  it('rejects tags that the encoding does not allow', () => {
    expectNerError(() => decodeLabels(['B-D'], 'IO'), 'NER_ERR_CORPUS_UNKNOWN_LABEL');
    expectNerError(() => decodeLabels(['D'], 'BIO'), 'NER_ERR_CORPUS_UNKNOWN_LABEL');
    expectNerError(() => decodeLabels(['B-X'], 'BIO'), 'NER_ERR_CORPUS_UNKNOWN_LABEL');
    expectNerError(() => decodeLabels(['o'], 'IO'), 'NER_ERR_CORPUS_UNKNOWN_LABEL');
  });
});

describe('spansFromCorpusLabels', () => {
  it('finds maximal runs', () => {
    expect(spansFromCorpusLabels(L('ODDTTOD'))).toEqual([
      { type: 'D', start: 1, end: 3 },
      { type: 'T', start: 3, end: 5 },
      { type: 'D', start: 6, end: 7 },
    ]);
  });

  it('finds nothing in empty or all-O sentences', () => {
    expect(spansFromCorpusLabels([])).toEqual([]);
    expect(spansFromCorpusLabels(L('OOOO'))).toEqual([]);
  });

  it('merges adjacent same-type entities, as the corpus cannot tell them apart', () => {
    expect(spansFromCorpusLabels(L('DDDD'))).toEqual([{ type: 'D', start: 0, end: 4 }]);
  });
});

describe('spansFromTags', () => {
  it('BIO: a B- starts a new span even right after a span of the same type', () => {
    expect(spansFromTags(['B-D', 'I-D', 'B-D', 'O', 'B-T', 'B-T'], 'BIO')).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'D', start: 2, end: 3 },
      { type: 'T', start: 4, end: 5 },
      { type: 'T', start: 5, end: 6 },
    ]);
  });

  it('BIO: a stray I- starts a span, and an I- of another type starts another', () => {
    expect(spansFromTags(['I-D', 'I-D', 'O', 'I-T', 'I-D', 'B-T', 'I-T'], 'BIO')).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'T', start: 3, end: 4 },
      { type: 'D', start: 4, end: 5 },
      { type: 'T', start: 5, end: 7 },
    ]);
  });

  it('IO: maximal runs', () => {
    expect(spansFromTags(['D', 'D', 'T', 'O', 'T'], 'IO')).toEqual([
      { type: 'D', start: 0, end: 2 },
      { type: 'T', start: 2, end: 3 },
      { type: 'T', start: 4, end: 5 },
    ]);
  });

  it('rejects unknown tags', () => {
    expectNerError(() => spansFromTags(['B-D', 'X'], 'BIO'), 'NER_ERR_CORPUS_UNKNOWN_LABEL');
  });
});

describe('labelsFromSpans', () => {
  it('paints spans over O', () => {
    const spans: TokenSpan[] = [
      { type: 'T', start: 3, end: 5 },
      { type: 'D', start: 0, end: 2 },
    ];
    expect(labelsFromSpans(6, spans)).toEqual(L('DDOTTO'));
    expect(labelsFromSpans(0, [])).toEqual([]);
  });

  it('rejects spans out of range, empty or overlapping', () => {
    expectNerError(() => labelsFromSpans(3, [{ type: 'D', start: 2, end: 4 }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => labelsFromSpans(3, [{ type: 'D', start: -1, end: 1 }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => labelsFromSpans(3, [{ type: 'D', start: 1, end: 1 }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => labelsFromSpans(3, [{ type: 'D', start: 0.5, end: 2 }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(
      () =>
        labelsFromSpans(4, [
          { type: 'D', start: 0, end: 2 },
          { type: 'T', start: 1, end: 3 },
        ]),
      'NER_ERR_INPUT_INVALID',
    );
  });
});

describe('round trips over every sequence of up to 6 labels', () => {
  const sequences = allSequences(6);

  it('covers 1 + 3 + ... + 3^6 sequences', () => {
    expect(sequences).toHaveLength(1093);
  });

  it.each(LABEL_ENCODINGS)('%s: decode(encode(x)) = x and spansFromTags(encode(x)) = spansFromCorpusLabels(x)', (encoding) => {
    for (const labels of sequences) {
      const tags = encodeLabels(labels, encoding);
      expect(decodeLabels(tags, encoding)).toEqual(labels);
      expect(spansFromTags(tags, encoding)).toEqual(spansFromCorpusLabels(labels));
    }
  });

  it('labelsFromSpans inverts spansFromCorpusLabels', () => {
    for (const labels of sequences) {
      expect(labelsFromSpans(labels.length, spansFromCorpusLabels(labels))).toEqual(labels);
    }
  });
});

describe('properties', () => {
  it('round trips through both encodings', () => {
    fc.assert(
      fc.property(labelsArb, fc.constantFrom(...LABEL_ENCODINGS), (labels, encoding) => {
        const tags = encodeLabels(labels, encoding);
        expect(tags).toHaveLength(labels.length);
        expect(decodeLabels(tags, encoding)).toEqual(labels);
        expect(spansFromTags(tags, encoding)).toEqual(spansFromCorpusLabels(labels));
        expect(labelsFromSpans(labels.length, spansFromCorpusLabels(labels))).toEqual(labels);
      }),
    );
  });

  it('maximal runs: ordered, disjoint, never two same-type spans touching, covering every non-O token', () => {
    fc.assert(
      fc.property(labelsArb, (labels) => {
        const spans = spansFromCorpusLabels(labels);
        expectOrderedDisjoint(spans, labels.length);
        spans.forEach((s, i) => {
          const previous = spans[i - 1];
          if (previous && previous.end === s.start) expect(previous.type).not.toBe(s.type);
        });
        const covered = spans.reduce((sum, s) => sum + s.end - s.start, 0);
        expect(covered).toBe(labels.filter((l) => l !== 'O').length);
      }),
    );
  });

  it('any BIO tag sequence (even ill-formed) gives ordered disjoint spans consistent with its labels', () => {
    fc.assert(
      fc.property(fc.array(bioTagArb, { maxLength: 20 }), (tags) => {
        const spans = spansFromTags(tags, 'BIO');
        expectOrderedDisjoint(spans, tags.length);
        expect(labelsFromSpans(tags.length, spans)).toEqual(decodeLabels(tags, 'BIO'));
        // A span starts at each B-, and at each I- that does not follow a tag of its type.
        const previousType = (i: number): string => (tags[i - 1] ?? 'O').slice(2);
        const starts = tags.filter((t, i) => t.startsWith('B-') || (t.startsWith('I-') && previousType(i) !== t.slice(2)));
        expect(spans).toHaveLength(starts.length);
      }),
    );
  });
});
