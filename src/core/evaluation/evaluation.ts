import { NerError } from '../../errors.js';
import { assertValidSpans, decodeLabels, sortSpans, spansFromCorpusLabels, spansFromTags } from '../tagger/label-codec.js';
import type { LabelEncoding, SpanType, TokenSpan } from '../tagger/label-codec.js';
import { CORPUS_LABELS } from '../text/types.js';
import type { CorpusLabel, LabeledSentence } from '../text/types.js';

/**
 * Precision, recall and F1; `support` is the number of gold items (spans or tokens).
 * Any 0/0 (no prediction, no gold item, or P + R = 0) is defined as 0.
 */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface SpanScores {
  disease: Prf;
  treatment: Prf;
  micro: Prf;
}

export interface TokenScores {
  D: Prf;
  T: Prf;
  O: Prf;
  /** Support-weighted mean of the D, T and O scores (sklearn's "weighted avg"); support = all tokens. */
  weighted: Prf;
  accuracy: number;
}

export type SpanErrorKind = 'missed' | 'spurious' | 'boundary' | 'type';
export const SPAN_ERROR_KINDS: readonly SpanErrorKind[] = ['missed', 'spurious', 'boundary', 'type'];

/** One span-level error; `sentence` is a 0-based index, `tokens` cover the union of the span(s) involved. */
export interface SpanError {
  sentence: number;
  kind: SpanErrorKind;
  gold?: TokenSpan;
  predicted?: TokenSpan;
  tokens: string[];
}

export interface EvaluationReport {
  /** Exact boundaries and type. */
  strict: SpanScores;
  /** Overlap-based, one-to-one: see `partialMatchCount`. */
  partial: SpanScores;
  token: TokenScores;
  /** Token counts, gold label row × predicted label column, rows and columns in `labels` order. */
  confusion: { labels: CorpusLabel[]; matrix: number[][] };
  errors: SpanError[];
}

/** A gold sentence: spans are explicit (a CoNLL reader may give adjacent same-type spans); labels feed token scores. */
export interface GoldSentence {
  tokens: string[];
  spans: TokenSpan[];
  labels: CorpusLabel[];
}

export interface PredictedSentence {
  spans: TokenSpan[];
  labels: CorpusLabel[];
}

const SPAN_TYPES: readonly SpanType[] = ['D', 'T'];

/** Gold items from D/T/O sentences: a span is a maximal run of one non-O label, unless the sentence gives its spans. */
export function goldFromLabeled(sentences: LabeledSentence[]): GoldSentence[] {
  return sentences.map((s) => ({ tokens: s.tokens, labels: s.labels, spans: s.spans ? s.spans.map((span) => ({ ...span })) : spansFromCorpusLabels(s.labels) }));
}

/** A prediction from a tagger's output tags (BIO keeps adjacent same-type spans apart). */
export function predictionFromTags(tags: string[], encoding: LabelEncoding): PredictedSentence {
  return { spans: spansFromTags(tags, encoding), labels: decodeLabels(tags, encoding) };
}

/** A prediction from D/T/O labels (spans are maximal runs). */
export function predictionFromLabels(labels: CorpusLabel[]): PredictedSentence {
  return { spans: spansFromCorpusLabels(labels), labels };
}

/** Compute P/R/F1 from counts; 0/0 is 0. */
export function prf(truePositives: number, predicted: number, gold: number): Prf {
  const precision = ratio(truePositives, predicted);
  const recall = ratio(truePositives, gold);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support: gold };
}

/**
 * Score `predicted` against `gold`, sentence by sentence (same order, same token counts).
 * Spans on each side must be in range and must not overlap; throws NER_ERR_INPUT_INVALID otherwise.
 */
export function evaluate(gold: GoldSentence[], predicted: PredictedSentence[]): EvaluationReport {
  if (gold.length !== predicted.length) {
    throw new NerError('NER_ERR_INPUT_INVALID', `${gold.length} gold sentences but ${predicted.length} predicted`);
  }
  const counts = new SpanCounts();
  const matrix = CORPUS_LABELS.map(() => CORPUS_LABELS.map(() => 0));
  const errors: SpanError[] = [];
  gold.forEach((g, i) => {
    const p = predicted[i] as PredictedSentence;
    validateSentence(g, p, i);
    counts.add(g.spans, p.spans);
    addConfusion(matrix, g.labels, p.labels);
    errors.push(...classifyErrors(g, p, i));
  });
  return {
    strict: counts.scores('strict'),
    partial: counts.scores('partial'),
    token: tokenScores(matrix),
    confusion: { labels: [...CORPUS_LABELS], matrix },
    errors,
  };
}

function validateSentence(gold: GoldSentence, predicted: PredictedSentence, index: number): void {
  const length = gold.tokens.length;
  if (gold.labels.length !== length || predicted.labels.length !== length) {
    throw new NerError(
      'NER_ERR_INPUT_INVALID',
      `sentence ${index}: ${length} tokens, ${gold.labels.length} gold labels, ${predicted.labels.length} predicted labels`,
    );
  }
  try {
    assertValidSpans(gold.spans, length);
    assertValidSpans(predicted.spans, length);
  } catch (error) {
    throw new NerError('NER_ERR_INPUT_INVALID', `sentence ${index}: ${(error as Error).message}`, { cause: error });
  }
}

type Counts = { tp: number; predicted: number; gold: number };

class SpanCounts {
  private readonly strict = { D: zeroCounts(), T: zeroCounts() };
  private readonly partial = { D: zeroCounts(), T: zeroCounts() };

  add(gold: TokenSpan[], predicted: TokenSpan[]): void {
    for (const type of SPAN_TYPES) {
      const g = gold.filter((s) => s.type === type);
      const p = predicted.filter((s) => s.type === type);
      accumulate(this.strict[type], strictMatchCount(g, p), p.length, g.length);
      accumulate(this.partial[type], partialMatchCount(g, p), p.length, g.length);
    }
  }

  scores(kind: 'strict' | 'partial'): SpanScores {
    const { D, T } = this[kind];
    return {
      disease: prf(D.tp, D.predicted, D.gold),
      treatment: prf(T.tp, T.predicted, T.gold),
      micro: prf(D.tp + T.tp, D.predicted + T.predicted, D.gold + T.gold),
    };
  }
}

function zeroCounts(): Counts {
  return { tp: 0, predicted: 0, gold: 0 };
}

function accumulate(counts: Counts, tp: number, predicted: number, gold: number): void {
  counts.tp += tp;
  counts.predicted += predicted;
  counts.gold += gold;
}

/** Predicted spans equal (type, start, end) to a gold span. */
export function strictMatchCount(gold: TokenSpan[], predicted: TokenSpan[]): number {
  const keys = new Set(gold.map(spanKey));
  return predicted.filter((p) => keys.has(spanKey(p))).length;
}

/**
 * Partial matches: a one-to-one matching between gold and predicted spans of the same type that
 * overlap by at least one token, built greedily by largest overlap (ties: earlier gold, then earlier
 * prediction). Each gold and each predicted span is used at most once, so the same count is the
 * true-positive count for both precision (÷ predicted spans) and recall (÷ gold spans).
 * Because spans on each side are disjoint, an exact match has no other candidate on either side,
 * so every strict match is also a partial match (strict ≤ partial).
 */
export function partialMatchCount(gold: TokenSpan[], predicted: TokenSpan[]): number {
  const candidates: { g: number; p: number; overlap: number }[] = [];
  gold.forEach((gs, g) =>
    predicted.forEach((ps, p) => {
      const size = overlap(gs, ps);
      if (gs.type === ps.type && size > 0) candidates.push({ g, p, overlap: size });
    }),
  );
  candidates.sort((a, b) => b.overlap - a.overlap || a.g - b.g || a.p - b.p);
  const usedGold = new Set<number>();
  const usedPredicted = new Set<number>();
  for (const { g, p } of candidates) {
    if (usedGold.has(g) || usedPredicted.has(p)) continue;
    usedGold.add(g);
    usedPredicted.add(p);
  }
  return usedGold.size;
}

/**
 * Errors of one sentence. Each predicted span that is not an exact match is 'boundary' if it overlaps
 * a gold span of its type, else 'type' if it overlaps a gold span of the other type, else 'spurious'
 * (the gold span reported is the one with the largest overlap). A gold span that no prediction
 * overlaps is 'missed'.
 */
export function classifyErrors(gold: GoldSentence, predicted: PredictedSentence, sentence: number): SpanError[] {
  const errors: SpanError[] = [];
  const exact = new Set(gold.spans.map(spanKey));
  for (const p of sortSpans(predicted.spans)) {
    if (exact.has(spanKey(p))) continue;
    const sameType = largestOverlap(p, gold.spans.filter((g) => g.type === p.type));
    const otherType = largestOverlap(p, gold.spans.filter((g) => g.type !== p.type));
    const g = sameType ?? otherType;
    const kind: SpanErrorKind = sameType ? 'boundary' : otherType ? 'type' : 'spurious';
    errors.push({ sentence, kind, ...(g ? { gold: g } : {}), predicted: p, tokens: tokensOf(gold.tokens, g, p) });
  }
  for (const g of sortSpans(gold.spans)) {
    if (!predicted.spans.some((p) => overlap(g, p) > 0)) {
      errors.push({ sentence, kind: 'missed', gold: g, tokens: tokensOf(gold.tokens, g) });
    }
  }
  return errors.sort((a, b) => firstStart(a) - firstStart(b));
}

function largestOverlap(span: TokenSpan, candidates: TokenSpan[]): TokenSpan | undefined {
  let best: TokenSpan | undefined;
  for (const c of candidates) {
    if (overlap(span, c) > (best ? overlap(span, best) : 0)) best = c;
  }
  return best;
}

function tokensOf(tokens: string[], ...spans: (TokenSpan | undefined)[]): string[] {
  const present = spans.filter((s): s is TokenSpan => s !== undefined);
  return tokens.slice(Math.min(...present.map((s) => s.start)), Math.max(...present.map((s) => s.end)));
}

function firstStart(error: SpanError): number {
  return Math.min(error.gold?.start ?? Infinity, error.predicted?.start ?? Infinity);
}

function overlap(a: TokenSpan, b: TokenSpan): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

function spanKey(span: TokenSpan): string {
  return `${span.type}:${span.start}:${span.end}`;
}

function addConfusion(matrix: number[][], gold: CorpusLabel[], predicted: CorpusLabel[]): void {
  gold.forEach((g, i) => {
    const row = matrix[CORPUS_LABELS.indexOf(g)];
    const column = CORPUS_LABELS.indexOf(predicted[i] as CorpusLabel);
    if (!row || column < 0) throw new NerError('NER_ERR_INPUT_INVALID', `unknown label ${g} or ${String(predicted[i])}`);
    row[column] = (row[column] ?? 0) + 1;
  });
}

function tokenScores(matrix: number[][]): TokenScores {
  const cell = (r: number, c: number): number => matrix[r]?.[c] ?? 0;
  const indices = CORPUS_LABELS.map((_, i) => i);
  const perLabel = indices.map((i) => {
    const goldCount = indices.reduce((sum, c) => sum + cell(i, c), 0);
    const predictedCount = indices.reduce((sum, r) => sum + cell(r, i), 0);
    return prf(cell(i, i), predictedCount, goldCount);
  });
  const total = perLabel.reduce((sum, s) => sum + s.support, 0);
  const weightedMean = (key: 'precision' | 'recall' | 'f1'): number =>
    ratio(perLabel.reduce((sum, s) => sum + s[key] * s.support, 0), total);
  const [D, T, O] = perLabel as [Prf, Prf, Prf];
  return {
    D,
    T,
    O,
    weighted: { precision: weightedMean('precision'), recall: weightedMean('recall'), f1: weightedMean('f1'), support: total },
    accuracy: ratio(indices.reduce((sum, i) => sum + cell(i, i), 0), total),
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

// ---------------------------------------------------------------------------------------------
// Plain-text output

const fixed = (value: number): string => value.toFixed(4);

function prfRow(name: string, s: Prf): string {
  return `${name.padEnd(20)}${fixed(s.precision).padStart(10)}${fixed(s.recall).padStart(10)}${fixed(s.f1).padStart(10)}${String(s.support).padStart(10)}`;
}

const HEADER = `${''.padEnd(20)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'f1'.padStart(10)}${'support'.padStart(10)}`;

/** A readable table: span scores (strict, partial), token scores, token confusion matrix. */
export function formatReport(report: EvaluationReport): string {
  const spanRows = (['strict', 'partial'] as const).flatMap((kind) =>
    (['disease', 'treatment', 'micro'] as const).map((name) => prfRow(`${kind} ${name}`, report[kind][name])),
  );
  const t = report.token;
  const tokenRows = [prfRow('token D', t.D), prfRow('token T', t.T), prfRow('token O', t.O), prfRow('token weighted', t.weighted)];
  const { labels, matrix } = report.confusion;
  const confusionRows = [
    `${'gold \\ predicted'.padEnd(20)}${labels.map((l) => l.padStart(10)).join('')}`,
    ...labels.map((l, r) => `${l.padEnd(20)}${labels.map((_, c) => String(matrix[r]?.[c] ?? 0).padStart(10)).join('')}`),
  ];
  return [
    'Span level',
    HEADER,
    ...spanRows,
    '',
    'Token level',
    HEADER,
    ...tokenRows,
    `${'token accuracy'.padEnd(20)}${fixed(t.accuracy).padStart(10)}`,
    '',
    'Token confusion matrix',
    ...confusionRows,
  ].join('\n');
}

/** Error counts by kind and type; a 'type' error is counted under its gold type (D means D predicted as T). */
export type ErrorCounts = Record<SpanErrorKind, Record<SpanType, number>>;

export function countErrors(errors: SpanError[]): ErrorCounts {
  const counts = Object.fromEntries(SPAN_ERROR_KINDS.map((k) => [k, { D: 0, T: 0 }])) as ErrorCounts;
  for (const e of errors) {
    const type = (e.gold ?? e.predicted)?.type;
    if (type) counts[e.kind][type] += 1;
  }
  return counts;
}

/** Error counts by kind and type, then up to `limit` examples of each kind. */
export function errorSummary(report: EvaluationReport, limit = 5): string {
  const counts = countErrors(report.errors);
  const lines = [`${'error'.padEnd(12)}${'D'.padStart(8)}${'T'.padStart(8)}${'total'.padStart(8)}`];
  for (const kind of SPAN_ERROR_KINDS) {
    const { D, T } = counts[kind];
    lines.push(`${kind.padEnd(12)}${String(D).padStart(8)}${String(T).padStart(8)}${String(D + T).padStart(8)}`);
  }
  lines.push('(a type error is counted under its gold type)');
  for (const kind of SPAN_ERROR_KINDS) {
    const examples = report.errors.filter((e) => e.kind === kind).slice(0, Math.max(0, limit));
    if (examples.length === 0) continue;
    lines.push('', `${kind}:`, ...examples.map(describeError));
  }
  return lines.join('\n');
}

function describeError(e: SpanError): string {
  const show = (s: TokenSpan | undefined): string => (s ? `${s.type}[${s.start},${s.end})` : '-');
  return `  sentence ${e.sentence}: gold ${show(e.gold)} predicted ${show(e.predicted)} "${e.tokens.join(' ')}"`;
}

// ---------------------------------------------------------------------------------------------
// Cross-validation summaries

export interface MeanSd {
  mean: number;
  sd: number;
}
export type AveragedPrf = Record<keyof Prf, MeanSd>;
export type AveragedSpanScores = Record<keyof SpanScores, AveragedPrf>;
export interface AveragedReport {
  folds: number;
  strict: AveragedSpanScores;
  partial: AveragedSpanScores;
  token: Record<'D' | 'T' | 'O' | 'weighted', AveragedPrf> & { accuracy: MeanSd };
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). Throws on an empty list. */
export function meanAndSd(values: number[]): MeanSd {
  if (values.length === 0) throw new NerError('NER_ERR_INPUT_INVALID', 'meanAndSd needs at least one value');
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  if (values.length === 1) return { mean, sd: 0 };
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(squares / (values.length - 1)) };
}

/** Per-metric mean and sd over reports (e.g. the folds of a cross-validation). Throws on an empty list. */
export function averageReports(reports: EvaluationReport[]): AveragedReport {
  if (reports.length === 0) throw new NerError('NER_ERR_INPUT_INVALID', 'averageReports needs at least one report');
  const averagePrf = (pick: (r: EvaluationReport) => Prf): AveragedPrf => {
    const values = reports.map(pick);
    return {
      precision: meanAndSd(values.map((v) => v.precision)),
      recall: meanAndSd(values.map((v) => v.recall)),
      f1: meanAndSd(values.map((v) => v.f1)),
      support: meanAndSd(values.map((v) => v.support)),
    };
  };
  const averageSpans = (kind: 'strict' | 'partial'): AveragedSpanScores => ({
    disease: averagePrf((r) => r[kind].disease),
    treatment: averagePrf((r) => r[kind].treatment),
    micro: averagePrf((r) => r[kind].micro),
  });
  return {
    folds: reports.length,
    strict: averageSpans('strict'),
    partial: averageSpans('partial'),
    token: {
      D: averagePrf((r) => r.token.D),
      T: averagePrf((r) => r.token.T),
      O: averagePrf((r) => r.token.O),
      weighted: averagePrf((r) => r.token.weighted),
      accuracy: meanAndSd(reports.map((r) => r.token.accuracy)),
    },
  };
}

/** A table of mean ± sd for the F1 (and P/R) of each row of an averaged report. */
export function formatAveragedReport(avg: AveragedReport): string {
  const cell = (m: MeanSd): string => `${fixed(m.mean)} ± ${fixed(m.sd)}`.padStart(20);
  const row = (name: string, s: AveragedPrf): string => `${name.padEnd(20)}${cell(s.precision)}${cell(s.recall)}${cell(s.f1)}`;
  const rows = (['strict', 'partial'] as const).flatMap((kind) =>
    (['disease', 'treatment', 'micro'] as const).map((name) => row(`${kind} ${name}`, avg[kind][name])),
  );
  return [
    `${avg.folds} folds, mean ± sd`,
    `${''.padEnd(20)}${'precision'.padStart(20)}${'recall'.padStart(20)}${'f1'.padStart(20)}`,
    ...rows,
    row('token weighted', avg.token.weighted),
    `${'token accuracy'.padEnd(20)}${cell(avg.token.accuracy)}`,
  ].join('\n');
}
