import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averageReports,
  countErrors,
  errorSummary,
  evaluate,
  formatAveragedReport,
  formatReport,
  goldFromLabeled,
  meanAndSd,
  partialMatchCount,
  predictionFromLabels,
  predictionFromTags,
  prf,
  type EvaluationReport,
  type GoldSentence,
  type PredictedSentence,
  type Prf,
  type SpanScores,
} from '../../src/core/evaluation/evaluation.js';
import { encodeLabels, type TokenSpan } from '../../src/core/tagger/label-codec.js';
import { CORPUS_LABELS, type CorpusLabel } from '../../src/core/text/types.js';
import { expectNerError } from '../helpers/errors.js';

const L = (s: string): CorpusLabel[] => [...s] as CorpusLabel[];
const D = (start: number, end: number): TokenSpan => ({ type: 'D', start, end });
const T = (start: number, end: number): TokenSpan => ({ type: 'T', start, end });
const words = (n: number): string[] => Array.from({ length: n }, (_, i) => `w${i}`);

function expectPrf(actual: Prf, precision: number, recall: number, f1: number, support: number): void {
  expect(actual.precision).toBeCloseTo(precision, 10);
  expect(actual.recall).toBeCloseTo(recall, 10);
  expect(actual.f1).toBeCloseTo(f1, 10);
  expect(actual.support).toBe(support);
}


/** Every P/R/F1 of a report, with a name, for properties. */
function allPrfs(report: EvaluationReport): [string, Prf][] {
  const spans = (['strict', 'partial'] as const).flatMap((kind) =>
    (['disease', 'treatment', 'micro'] as const).map((name): [string, Prf] => [`${kind}.${name}`, report[kind][name]]),
  );
  const t = report.token;
  return [...spans, ['token.D', t.D], ['token.T', t.T], ['token.O', t.O], ['token.weighted', t.weighted]];
}

describe('prf', () => {
  it('computes P, R and F1 from counts', () => {
    expectPrf(prf(1, 2, 3), 1 / 2, 1 / 3, 0.4, 3);
    expectPrf(prf(4, 4, 4), 1, 1, 1, 4);
  });

  it('defines 0/0 as 0', () => {
    expectPrf(prf(0, 0, 0), 0, 0, 0, 0);
    expectPrf(prf(0, 3, 0), 0, 0, 0, 0);
    expectPrf(prf(0, 0, 2), 0, 0, 0, 2);
    expectPrf(prf(0, 2, 2), 0, 0, 0, 2);
  });
});

describe('evaluate: adjacent gold spans', () => {
  // Gold has two adjacent diseases (as a CoNLL reader could give), the prediction one merged span.
  const gold: GoldSentence[] = [{ tokens: words(6), labels: L('DDDDOT'), spans: [D(0, 2), D(2, 4), T(5, 6)] }];
  const predicted: PredictedSentence[] = [{ labels: L('DDDDOT'), spans: [D(0, 4), T(5, 6)] }];
  const report = evaluate(gold, predicted);

  it('strict: the merged span matches neither gold disease', () => {
    expectPrf(report.strict.disease, 0, 0, 0, 2);
    expectPrf(report.strict.treatment, 1, 1, 1, 1);
    // micro: tp 1, predicted 2, gold 3 → P 1/2, R 1/3, F1 2·(1/6)/(5/6) = 0.4
    expectPrf(report.strict.micro, 1 / 2, 1 / 3, 0.4, 3);
  });

  it('partial: the merged span matches only one gold disease (one-to-one)', () => {
    // disease: tp 1, predicted 1, gold 2 → P 1, R 1/2, F1 2/3
    expectPrf(report.partial.disease, 1, 1 / 2, 2 / 3, 2);
    // micro: tp 2, predicted 2, gold 3 → P 1, R 2/3, F1 0.8
    expectPrf(report.partial.micro, 1, 2 / 3, 0.8, 3);
  });

  it('token level is perfect, as the labels agree', () => {
    expectPrf(report.token.D, 1, 1, 1, 4);
    expectPrf(report.token.weighted, 1, 1, 1, 6);
    expect(report.token.accuracy).toBe(1);
    expect(report.confusion).toEqual({ labels: ['D', 'T', 'O'], matrix: [[4, 0, 0], [0, 1, 0], [0, 0, 1]] });
  });

  it('reports one boundary error against the first gold disease', () => {
    expect(report.errors).toEqual([
      { sentence: 0, kind: 'boundary', gold: D(0, 2), predicted: D(0, 4), tokens: ['w0', 'w1', 'w2', 'w3'] },
    ]);
  });

  it('goldFromLabeled merges the same labels into one span', () => {
    const merged = evaluate(goldFromLabeled([{ tokens: words(6), labels: L('DDDDOT') }]), predicted);
    expectPrf(merged.strict.micro, 1, 1, 1, 2);
    expect(merged.errors).toEqual([]);
  });
});

describe('evaluate: boundary, type, spurious and missed errors', () => {
  const gold: GoldSentence[] = goldFromLabeled([
    { tokens: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], labels: L('ODDOOTTO') }, // D[1,3) T[5,7)
    { tokens: ['x', 'y', 'z'], labels: L('DDD') }, // D[0,3)
    { tokens: ['p', 'q'], labels: L('OO') },
  ]);
  const predicted: PredictedSentence[] = [
    predictionFromLabels(L('ODOOODDT')), // D[1,2) nested in gold D; D[5,7) on gold T; T[7,8) on nothing
    predictionFromLabels(L('OOO')),
    predictionFromLabels(L('OO')),
  ];
  const report = evaluate(gold, predicted);

  it('strict: nothing matches', () => {
    expectPrf(report.strict.disease, 0, 0, 0, 2);
    expectPrf(report.strict.treatment, 0, 0, 0, 1);
    expectPrf(report.strict.micro, 0, 0, 0, 3);
  });

  it('partial: only the nested disease counts', () => {
    // disease: tp 1 (D[1,2) ~ D[1,3)), predicted 2, gold 2
    expectPrf(report.partial.disease, 1 / 2, 1 / 2, 1 / 2, 2);
    // treatment: predicted T[7,8) does not overlap gold T[5,7)
    expectPrf(report.partial.treatment, 0, 0, 0, 1);
    expectPrf(report.partial.micro, 1 / 3, 1 / 3, 1 / 3, 3);
  });

  it('token level, computed by hand from the 13 token pairs', () => {
    expect(report.confusion.matrix).toEqual([
      [1, 0, 4],
      [2, 0, 0],
      [0, 1, 5],
    ]);
    // D: tp 1, predicted 3, gold 5 → F1 2·(1/15)/(8/15) = 1/4
    expectPrf(report.token.D, 1 / 3, 1 / 5, 1 / 4, 5);
    expectPrf(report.token.T, 0, 0, 0, 2);
    // O: tp 5, predicted 9, gold 6 → F1 (50/54)/(25/18) = 2/3
    expectPrf(report.token.O, 5 / 9, 5 / 6, 2 / 3, 6);
    // weighted: P (5·1/3 + 6·5/9)/13 = 5/13; R (5·1/5 + 6·5/6)/13 = 6/13; F1 (5·1/4 + 6·2/3)/13 = 21/52
    expectPrf(report.token.weighted, 5 / 13, 6 / 13, 21 / 52, 13);
    expect(report.token.accuracy).toBeCloseTo(6 / 13, 10);
  });

  it('classifies each error', () => {
    expect(report.errors).toEqual([
      { sentence: 0, kind: 'boundary', gold: D(1, 3), predicted: D(1, 2), tokens: ['b', 'c'] },
      { sentence: 0, kind: 'type', gold: T(5, 7), predicted: D(5, 7), tokens: ['f', 'g'] },
      { sentence: 0, kind: 'spurious', predicted: T(7, 8), tokens: ['h'] },
      { sentence: 1, kind: 'missed', gold: D(0, 3), tokens: ['x', 'y', 'z'] },
    ]);
    expect(countErrors(report.errors)).toEqual({
      missed: { D: 1, T: 0 },
      spurious: { D: 0, T: 1 },
      boundary: { D: 1, T: 0 },
      type: { D: 0, T: 1 },
    });
  });
});

describe('evaluate: overlaps', () => {
  it('prefers a boundary error over a type error and does not call the other gold span missed', () => {
    const report = evaluate(
      [{ tokens: words(4), labels: L('DDTT'), spans: [D(0, 2), T(2, 4)] }],
      [{ labels: L('ODDO'), spans: [D(1, 3)] }],
    );
    expect(report.errors).toEqual([{ sentence: 0, kind: 'boundary', gold: D(0, 2), predicted: D(1, 3), tokens: ['w0', 'w1', 'w2'] }]);
    expectPrf(report.partial.disease, 1, 1, 1, 1);
    expectPrf(report.partial.treatment, 0, 0, 0, 1);
  });

  it('matches a gold span at most once when two predictions overlap it', () => {
    // gold D[0,4); predicted D[0,1) and D[2,4): one partial match → P 1/2, R 1
    const report = evaluate([{ tokens: words(4), labels: L('DDDD'), spans: [D(0, 4)] }], [predictionFromTags(['B-D', 'O', 'B-D', 'I-D'], 'BIO')]);
    expectPrf(report.partial.disease, 1 / 2, 1, 2 / 3, 1);
    expect(report.errors.map((e) => e.kind)).toEqual(['boundary', 'boundary']);
  });

  it('keeps adjacent BIO predictions apart', () => {
    // gold D[0,4); predicted D[0,2) D[2,4): strict 0, partial tp 1
    const report = evaluate(goldFromLabeled([{ tokens: words(4), labels: L('DDDD') }]), [predictionFromTags(['B-D', 'I-D', 'B-D', 'I-D'], 'BIO')]);
    expectPrf(report.strict.disease, 0, 0, 0, 1);
    expectPrf(report.partial.disease, 1 / 2, 1, 2 / 3, 1);
    expectPrf(report.token.D, 1, 1, 1, 4);
  });

  it('greedy matching takes the largest overlap first', () => {
    // gold D[0,2) D[2,6); predicted D[1,5) overlaps them by 1 and 3 → matched with D[2,6)
    expect(partialMatchCount([D(0, 2), D(2, 6)], [D(1, 5)])).toBe(1);
    const report = evaluate([{ tokens: words(6), labels: L('DDDDDD'), spans: [D(0, 2), D(2, 6)] }], [{ labels: L('ODDDDO'), spans: [D(1, 5)] }]);
    expect(report.errors).toEqual([{ sentence: 0, kind: 'boundary', gold: D(2, 6), predicted: D(1, 5), tokens: words(6).slice(1, 6) }]);
  });

  it('ignores overlaps of another type in partial matching', () => {
    expect(partialMatchCount([D(0, 2)], [T(0, 2)])).toBe(0);
  });
});

describe('evaluate: empty inputs', () => {
  const zero = { precision: 0, recall: 0, f1: 0 };
  const zeroScores = (support: number): SpanScores => ({
    disease: { ...zero, support },
    treatment: { ...zero, support },
    micro: { ...zero, support },
  });

  it('no sentences: all zero', () => {
    const report = evaluate([], []);
    expect(report.strict).toEqual(zeroScores(0));
    expect(report.partial).toEqual(zeroScores(0));
    expect(report.token.weighted).toEqual({ ...zero, support: 0 });
    expect(report.token.accuracy).toBe(0);
    expect(report.confusion.matrix).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    expect(report.errors).toEqual([]);
  });

  it('empty sentences: all zero', () => {
    const report = evaluate(goldFromLabeled([{ tokens: [], labels: [] }]), [predictionFromLabels([])]);
    expect(report.strict).toEqual(zeroScores(0));
    expect(report.token.accuracy).toBe(0);
  });

  it('all-O against all-O: spans 0 (no support), token O perfect', () => {
    const report = evaluate(goldFromLabeled([{ tokens: words(3), labels: L('OOO') }]), [predictionFromLabels(L('OOO'))]);
    expect(report.strict).toEqual(zeroScores(0));
    expect(report.partial).toEqual(zeroScores(0));
    expectPrf(report.token.O, 1, 1, 1, 3);
    expectPrf(report.token.D, 0, 0, 0, 0);
    expectPrf(report.token.weighted, 1, 1, 1, 3);
    expect(report.token.accuracy).toBe(1);
  });

  it('all-O prediction against entities: every gold span missed', () => {
    const report = evaluate(goldFromLabeled([{ tokens: words(4), labels: L('DOTT') }]), [predictionFromLabels(L('OOOO'))]);
    expectPrf(report.strict.micro, 0, 0, 0, 2);
    expectPrf(report.partial.micro, 0, 0, 0, 2);
    expect(report.errors.map((e) => e.kind)).toEqual(['missed', 'missed']);
    // O: tp 1, predicted 4, gold 1 → P 1/4, R 1, F1 2/5; weighted = (1·2/5)/4 F1
    expectPrf(report.token.O, 1 / 4, 1, 2 / 5, 1);
    expectPrf(report.token.weighted, 1 / 16, 1 / 4, 1 / 10, 4);
  });
});

describe('evaluate: invalid input', () => {
  const gold = goldFromLabeled([{ tokens: words(3), labels: L('DDO') }]);

  it('rejects different numbers of sentences', () => {
    expectNerError(() => evaluate(gold, []), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => evaluate([], [predictionFromLabels(L('O'))]), 'NER_ERR_INPUT_INVALID');
  });

  it('rejects label counts that differ from the token count', () => {
    expectNerError(() => evaluate(gold, [predictionFromLabels(L('DD'))]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => evaluate([{ tokens: words(3), labels: L('DD'), spans: [] }], [predictionFromLabels(L('OOO'))]), 'NER_ERR_INPUT_INVALID');
  });

  it('rejects spans out of range or overlapping', () => {
    expectNerError(() => evaluate(gold, [{ labels: L('OOO'), spans: [D(2, 4)] }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => evaluate(gold, [{ labels: L('OOO'), spans: [D(0, 2), T(1, 3)] }]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => evaluate([{ ...gold[0]!, spans: [D(0, 2), D(0, 2)] }], [predictionFromLabels(L('OOO'))]), 'NER_ERR_INPUT_INVALID');
  });
});

const labelArb = fc.constantFrom<CorpusLabel>(...CORPUS_LABELS);
const bioTagArb = fc.constantFrom('O', 'B-D', 'I-D', 'B-T', 'I-T');
/** 0..6 sentences of 0..10 tokens: gold labels and predicted BIO tags of the same length. */
const corpusArb = fc.array(
  fc.array(fc.tuple(labelArb, bioTagArb), { maxLength: 10 }).map((pairs) => ({
    gold: pairs.map(([label]) => label),
    tags: pairs.map(([, tag]) => tag),
  })),
  { maxLength: 6 },
);

function evaluateArbitrary(corpus: { gold: CorpusLabel[]; tags: string[] }[]): EvaluationReport {
  const gold = goldFromLabeled(corpus.map((s) => ({ tokens: s.gold.map((_, i) => `t${i}`), labels: s.gold })));
  return evaluate(gold, corpus.map((s) => predictionFromTags(s.tags, 'BIO')));
}

describe('properties', () => {
  it('gold against itself scores 1 wherever there is support, with no error', () => {
    fc.assert(
      fc.property(corpusArb, (corpus) => {
        const gold = goldFromLabeled(corpus.map((s) => ({ tokens: s.gold.map(String), labels: s.gold })));
        const report = evaluate(gold, gold.map((g) => predictionFromTags(encodeLabels(g.labels, 'BIO'), 'BIO')));
        for (const [, s] of allPrfs(report)) {
          const expected = s.support > 0 ? 1 : 0;
          expect([s.precision, s.recall, s.f1]).toEqual([expected, expected, expected]);
        }
        expect(report.errors).toEqual([]);
        report.confusion.matrix.forEach((row, r) => row.forEach((n, c) => r !== c && expect(n).toBe(0)));
      }),
    );
  });

  it('scores lie in [0, 1] and strict never exceeds partial', () => {
    fc.assert(
      fc.property(corpusArb, (corpus) => {
        const report = evaluateArbitrary(corpus);
        for (const [, s] of allPrfs(report)) {
          for (const v of [s.precision, s.recall, s.f1]) expect(v >= 0 && v <= 1).toBe(true);
        }
        expect(report.token.accuracy >= 0 && report.token.accuracy <= 1).toBe(true);
        for (const name of ['disease', 'treatment', 'micro'] as const) {
          for (const key of ['precision', 'recall', 'f1'] as const) {
            expect(report.strict[name][key]).toBeLessThanOrEqual(report.partial[name][key] + 1e-12);
          }
        }
      }),
    );
  });

  it('supports add up', () => {
    fc.assert(
      fc.property(corpusArb, (corpus) => {
        const report = evaluateArbitrary(corpus);
        for (const kind of ['strict', 'partial'] as const) {
          const s = report[kind];
          expect(s.micro.support).toBe(s.disease.support + s.treatment.support);
        }
        const tokens = corpus.reduce((sum, s) => sum + s.gold.length, 0);
        const t = report.token;
        expect(t.D.support + t.T.support + t.O.support).toBe(tokens);
        expect(t.weighted.support).toBe(tokens);
        expect(report.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(tokens);
      }),
    );
  });

  it('errors account for every prediction that is not an exact match', () => {
    fc.assert(
      fc.property(corpusArb, (corpus) => {
        const report = evaluateArbitrary(corpus);
        const predictedSpans = corpus.reduce((sum, s) => sum + predictionFromTags(s.tags, 'BIO').spans.length, 0);
        const exact = report.strict.micro.precision * predictedSpans;
        const predictionErrors = report.errors.filter((e) => e.predicted !== undefined).length;
        expect(predictionErrors).toBeCloseTo(predictedSpans - exact, 6);
        const missed = report.errors.filter((e) => e.kind === 'missed').length;
        expect(missed).toBeLessThanOrEqual(report.strict.micro.support);
        for (const e of report.errors) expect(e.tokens.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('meanAndSd', () => {
  it('gives the mean and the sample standard deviation', () => {
    const { mean, sd } = meanAndSd([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanAndSd([0.7])).toEqual({ mean: 0.7, sd: 0 });
    expect(meanAndSd([2, 2, 2])).toEqual({ mean: 2, sd: 0 });
  });

  it('rejects an empty list', () => {
    expectNerError(() => meanAndSd([]), 'NER_ERR_INPUT_INVALID');
    expectNerError(() => averageReports([]), 'NER_ERR_INPUT_INVALID');
  });
});

describe('averageReports', () => {
  const a = evaluate([{ tokens: words(6), labels: L('DDDDOT'), spans: [D(0, 2), D(2, 4), T(5, 6)] }], [{ labels: L('DDDDOT'), spans: [D(0, 4), T(5, 6)] }]);
  const b = evaluate(goldFromLabeled([{ tokens: words(2), labels: L('DT') }]), [predictionFromLabels(L('OO'))]);

  it('averages each metric across folds', () => {
    const avg = averageReports([a, b]);
    expect(avg.folds).toBe(2);
    // strict micro F1: 0.4 and 0 → mean 0.2, sd √(2·0.2²) = 0.2√2
    expect(avg.strict.micro.f1.mean).toBeCloseTo(0.2, 12);
    expect(avg.strict.micro.f1.sd).toBeCloseTo(0.2 * Math.SQRT2, 12);
    expect(avg.strict.micro.support).toEqual({ mean: 2.5, sd: Math.SQRT1_2 });
    expect(avg.token.accuracy.mean).toBeCloseTo(0.5, 12);
  });

  it('of identical reports: their values, sd 0', () => {
    const avg = averageReports([a, a, a]);
    expect(avg.partial.disease.f1).toEqual({ mean: a.partial.disease.f1, sd: 0 });
    expect(avg.token.weighted.precision).toEqual({ mean: 1, sd: 0 });
  });

  it('formats mean ± sd', () => {
    const text = formatAveragedReport(averageReports([a, b]));
    expect(text).toContain('2 folds');
    expect(text).toMatch(/strict micro\s+.*0\.2000 ± 0\.2828/);
  });
});

describe('formatReport and errorSummary', () => {
  const report = evaluate(
    goldFromLabeled([
      { tokens: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], labels: L('ODDOOTTO') },
      { tokens: ['x', 'y', 'z'], labels: L('DDD') },
    ]),
    [predictionFromLabels(L('ODOOODDT')), predictionFromLabels(L('OOO'))],
  );

  it('formats a table with span, token and confusion sections', () => {
    const text = formatReport(report);
    const lines = text.split('\n');
    for (const row of ['strict disease', 'strict treatment', 'strict micro', 'partial disease', 'partial treatment', 'partial micro']) {
      expect(lines.some((l) => l.startsWith(row))).toBe(true);
    }
    expect(text).toMatch(/partial disease\s+0\.5000\s+0\.5000\s+0\.5000\s+2/);
    // D 5 gold (P 1/3, R 1/5, F1 1/4), T 2 gold (0), O 4 gold (P 3/7, R 3/4, F1 6/11); 11 tokens
    expect(text).toMatch(/token weighted\s+0\.3074\s+0\.3636\s+0\.3120\s+11/);
    expect(text).toContain('Token confusion matrix');
    expect(text).toMatch(/\nD\s+1\s+0\s+4\n/);
  });

  it('summarises errors by kind and type, with examples', () => {
    const text = errorSummary(report, 1);
    expect(text).toMatch(/boundary\s+1\s+0\s+1/);
    expect(text).toMatch(/type\s+0\s+1\s+1/);
    expect(text).toContain('sentence 1: gold D[0,3) predicted - "x y z"');
    expect(errorSummary(report, 0)).not.toContain('sentence');
  });
});
