import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrfWeights } from '../../src/core/tagger/crf-model-file.js';
import type { LabelEncoding, TokenSpan } from '../../src/core/tagger/label-codec.js';
import { spanScorer } from '../../src/core/tagger/span-confidence.js';
import { decodeByMarginals, parseDecoding } from '../../src/core/tagger/span-decoding.js';

const BIO = ['O', 'B-D', 'I-D', 'B-T', 'I-T'];
const IO = ['O', 'D', 'T'];

function weightsOf(labels: string[], transition: number[]): CrfWeights {
  return { labels, transition: Float64Array.from(transition) } as unknown as CrfWeights;
}

/** P(span) by enumerating every label sequence: the definition the forward–backward result must equal. */
function bruteForce(labels: string[], transition: number[], scores: number[], length: number, span: TokenSpan, encoding: LabelEncoding): number {
  const L = labels.length;
  const first = labels.indexOf(encoding === 'BIO' ? `B-${span.type}` : span.type);
  const inside = labels.indexOf(encoding === 'BIO' ? `I-${span.type}` : span.type);
  let z = 0;
  let hit = 0;
  const path = new Array<number>(length).fill(0);
  for (let code = 0; code < L ** length; code++) {
    let rest = code;
    for (let t = 0; t < length; t++) {
      path[t] = rest % L;
      rest = Math.floor(rest / L);
    }
    let score = 0;
    for (let t = 0; t < length; t++) score += (scores[t * L + (path[t] as number)] as number) + (t > 0 ? (transition[(path[t - 1] as number) * L + (path[t] as number)] as number) : 0);
    const weight = Math.exp(score);
    z += weight;
    const matches =
      path.slice(span.start, span.end).every((label, k) => label === (k === 0 ? first : inside)) &&
      (span.end === length || path[span.end] !== inside) &&
      (encoding === 'BIO' || span.start === 0 || path[span.start - 1] !== inside);
    if (matches) hit += weight;
  }
  return hit / z;
}

describe('span confidence (forward–backward marginals)', () => {
  for (const [encoding, labels] of [['BIO', BIO], ['IO', IO]] as const) {
    it(`equals the enumerated probability of the span (${encoding})`, () => {
      const L = labels.length;
      const length = 4;
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: L * L, maxLength: L * L }),
          fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: length * L, maxLength: length * L }),
          fc.integer({ min: 0, max: length - 1 }),
          fc.integer({ min: 1, max: length }),
          fc.constantFrom<TokenSpan['type']>('D', 'T'),
          (transition, scores, start, size, type) => {
            const span = { type, start, end: Math.min(length, start + size) };
            const scorer = spanScorer(Float64Array.from(scores), length, weightsOf([...labels], transition), encoding);
            expect(scorer.probability(span)).toBeCloseTo(bruteForce([...labels], transition, scores, length, span, encoding), 10);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('lists exactly the spans at or above a threshold (pruned search = exhaustive search), and decodes them without overlaps', () => {
    const L = BIO.length;
    const length = 6;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: L * L, maxLength: L * L }),
        fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: length * L, maxLength: length * L }),
        fc.double({ min: 0.05, max: 0.9, noNaN: true }),
        (transition, scores, threshold) => {
          const scorer = spanScorer(Float64Array.from(scores), length, weightsOf(BIO, transition), 'BIO');
          const exhaustive: string[] = [];
          for (const type of ['D', 'T'] as const) {
            for (let start = 0; start < length; start++) {
              for (let end = start + 1; end <= Math.min(length, start + 4); end++) {
                if (scorer.probability({ type, start, end }) >= threshold) exhaustive.push(`${type}${start}-${end}`);
              }
            }
          }
          const listed = scorer.candidates(threshold, 4).map((c) => `${c.type}${c.start}-${c.end}`);
          expect(listed.sort()).toEqual(exhaustive.sort());
          const decoded = decodeByMarginals(scorer, threshold, 4);
          decoded.forEach((span, i) => {
            if (i > 0) expect(span.start).toBeGreaterThanOrEqual(decoded[i - 1]!.end);
            expect(scorer.probability(span)).toBeGreaterThanOrEqual(threshold);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('parses --decoding and refuses anything else', () => {
    expect(parseDecoding('viterbi')).toEqual({ method: 'viterbi' });
    expect(parseDecoding('marginals:0.25')).toEqual({ method: 'marginals', threshold: 0.25, maxLength: 10 });
    expect(parseDecoding('marginals:.3:6')).toEqual({ method: 'marginals', threshold: 0.3, maxLength: 6 });
    for (const bad of ['marginals', 'marginals:1.5', 'marginals:0.2:0', 'mbr:0.2']) expect(parseDecoding(bad), bad).toBeNull();
  });

  it('stays finite and in [0, 1] with scores far beyond exp() range, and gives 0 outside the sentence', () => {
    const L = BIO.length;
    const scores = Float64Array.from({ length: 3 * L }, (_, i) => (i % L === 1 ? 900 : -900));
    const scorer = spanScorer(scores, 3, weightsOf(BIO, new Array(L * L).fill(0)), 'BIO');
    const p = scorer.probability({ type: 'D', start: 0, end: 1 });
    expect(Number.isFinite(p)).toBe(true);
    expect(p).toBeGreaterThan(0.99);
    expect(scorer.probability({ type: 'D', start: 2, end: 4 })).toBe(0);
    expect(spanScorer(scores, 3, weightsOf(['O', 'X'], [0, 0, 0, 0]), 'BIO').probability({ type: 'D', start: 0, end: 1 })).toBe(0);
  });
});
