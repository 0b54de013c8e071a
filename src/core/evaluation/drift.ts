/**
 * Drift: how far the notes a model now reads, and what it predicts on them, have moved from the data it was
 * trained on. Pure: the training profile is built from sentences handed in, a sample is observed sentence by
 * sentence (or note by note), and compareDrift() scores each feature and the whole.
 *
 * Features (each a histogram, each compared with the Jensen–Shannon divergence in bits, so in [0, 1]):
 * - `sentence-length`: tokens per sentence, in 10 bins (over sentences);
 * - `token-shape`: lower-case word, Capitalised, UPPER, mIxed, alphanumeric, number, and five punctuation
 *   classes (over tokens);
 * - `vocabulary`: the {@link VOCABULARY_TOP_WORDS} most frequent words of the train split, one bin each, and
 *   one bin for every other token (over tokens; words lower-cased, digits read as 0);
 * - `out-of-vocabulary`: the share of word tokens outside the profile's vocabulary (the words seen at least
 *   twice in training), against the share the train split itself shows when each sentence is left out of the
 *   vocabulary it is checked against (in-sample it would be 0);
 * - `entity-density`: predicted entities per 100 tokens of each sentence, in 5 bins (over sentences);
 * - `labels`: predicted token labels O / D / T (over tokens).
 *
 * Predictions against predictions: the train split's gold labels are not what the model would say on it (its
 * strict recall is below its precision, so it predicts fewer entities than the annotators marked), and what
 * the model says on its own training sentences is better than what it says on anything new. Comparing a day's
 * predictions with either would show drift where there is none. So the two prediction features compare with
 * what the model's training recipe predicts out of fold: each train sentence tagged by the cross-validation
 * model that did not see it, at the shipped entity bias. The gold figures are kept in the profile, for
 * reading, and are the fallback (flagged) when a profile was built without cross-validation.
 *
 * Sampling noise: two samples of one distribution still differ, and the Jensen–Shannon divergence of two
 * multinomial samples of sizes n and N over k bins is on average about (k − 1)(1/n + 1/N) / (8 ln 2) bits.
 * A feature's score is its divergence minus that expected noise (never below 0), and the bins are coarse
 * enough that the noise is small to begin with. Checked on the train split only (scripts/experiments/drift-validation.ts):
 * each cross-validation fold against the other four reads at most 0.0045, random 3,000-token samples of a fold
 * at most 0.018; at 1,000 tokens the tokens of a sentence are too far from independent draws for the
 * correction, hence {@link MIN_SAMPLE_TOKENS}.
 *
 * The overall score is the largest feature score: each feature is a different way the data can move, one
 * that moves far enough is reason to act, and a mean would let five steady features hide the sixth. The
 * level follows the thresholds (config.driftThresholds): below `watch` none, then watch, retrain, alert.
 */
import { NerError } from '../../errors.js';
import { spansFromCorpusLabels, type TokenSpan } from '../tagger/label-codec.js';
import { splitSentences } from '../text/tokenizer.js';
import type { CorpusLabel, Entity, LabeledSentence } from '../text/types.js';

export const DRIFT_PROFILE_SCHEMA = 1;

/** Upper bounds (inclusive) of the sentence-length bins, in tokens; the last bin holds the longer ones. */
const SENTENCE_LENGTH_BOUNDS = [3, 6, 10, 15, 20, 25, 30, 40, 60] as const;
export const SENTENCE_LENGTH_BINS: readonly string[] = ['1-3', '4-6', '7-10', '11-15', '16-20', '21-25', '26-30', '31-40', '41-60', '61+'];

export const TOKEN_SHAPES = ['lower', 'capitalized', 'upper', 'mixed', 'alphanumeric', 'number', 'period', 'comma', 'colon', 'bracket', 'other'] as const;
export type TokenShape = (typeof TOKEN_SHAPES)[number];

/** Upper bounds (inclusive) of the entity-density bins, entities per 100 tokens of a sentence; 0 is a bin of its own. */
const DENSITY_BOUNDS = [0, 5, 10, 20] as const;
export const ENTITY_DENSITY_BINS: readonly string[] = ['0', '0-5', '5-10', '10-20', '20+'];

export const DRIFT_LABELS: readonly CorpusLabel[] = ['O', 'D', 'T'];

/** Words seen fewer times in training are not in the profile's vocabulary. */
export const VOCABULARY_MIN_COUNT = 2;
/** At most this many words are kept (the most frequent), so the profile stays small. */
export const VOCABULARY_MAX_WORDS = 4000;
/** The vocabulary feature's bins: this many most frequent training words, and the rest. */
export const VOCABULARY_TOP_WORDS = 200;
/**
 * Below this many tokens a sample's scores are too noisy to act on; the result says so. (On the train split,
 * random samples of a held-out fold read at or above 0.02 one time in three at 1,000 tokens, never in 100
 * tries at 3,000: scripts/experiments/drift-validation.ts.)
 */
export const MIN_SAMPLE_TOKENS = 3000;

export const DRIFT_FEATURES = ['sentence-length', 'token-shape', 'vocabulary', 'out-of-vocabulary', 'entity-density', 'labels'] as const;
export type DriftFeature = (typeof DRIFT_FEATURES)[number];

export type DriftLevel = 'none' | 'watch' | 'retrain' | 'alert';
export interface DriftThresholds {
  watch: number;
  retrain: number;
  alert: number;
}

/** Counts over named bins (the names make a stored profile self-describing). */
export interface Histogram {
  bins: string[];
  counts: number[];
}

/** What a tagger predicted on a set of sentences, as counts (mergeable: add them up). */
export interface PredictionCounts {
  sentences: number;
  tokens: number;
  /** Token labels, in {@link DRIFT_LABELS} order. */
  labels: number[];
  entities: { disease: number; treatment: number };
  /** Sentences per {@link ENTITY_DENSITY_BINS} bin. */
  entityDensity: number[];
}

/** The train split, profiled for drift checks; stored in the model card (JSON). */
export interface TrainingProfile {
  schemaVersion: typeof DRIFT_PROFILE_SCHEMA;
  sentences: number;
  tokens: number;
  sentenceLength: Histogram;
  tokenShape: Histogram;
  vocabulary: {
    normalization: string;
    minCount: number;
    /** The words seen at least minCount times (at most VOCABULARY_MAX_WORDS, the most frequent), with their counts. */
    words: Record<string, number>;
    /** Tokens counted (all of them, punctuation included) and distinct normalised words. */
    tokens: number;
    distinctWords: number;
    /** Word tokens (holding a letter) and the share outside the vocabulary when each sentence is left out of it. */
    wordTokens: number;
    heldOutOovRate: number;
  };
  /** What the model's recipe predicts on the train split, out of fold (or the gold labels, see source). */
  predictions: {
    source: 'out-of-fold' | 'gold';
    folds: number | null;
    seed: number | null;
    sentences: number;
    tokens: number;
    labels: Histogram;
    entities: { disease: number; treatment: number };
    entityDensity: Histogram;
  };
  /** The annotators' labels, for reading beside the predictions. */
  gold: { labels: Histogram; entities: { disease: number; treatment: number }; entityDensity: Histogram };
}

export interface DriftFeatureResult {
  name: DriftFeature;
  /** Divergence beyond sampling noise, in [0, 1]. */
  score: number;
  /** Jensen–Shannon divergence (bits) of the two histograms. */
  divergence: number;
  /** Divergence two samples of these sizes from one distribution show on average. */
  noise: number;
  /** One headline figure, for reading: what `measure` is on the training data and on the sample. */
  measure: string;
  reference: number;
  sample: number;
  /** The histograms as shares (not for the vocabulary: its bins are words). */
  bins?: { bin: string; reference: number; sample: number }[];
}

export interface DriftResult {
  score: number;
  level: DriftLevel;
  /** The feature with the largest score. */
  drivenBy: DriftFeature;
  thresholds: DriftThresholds;
  features: DriftFeatureResult[];
  sample: { sentences: number; tokens: number; entities: number };
  reference: { sentences: number; tokens: number; predictions: TrainingProfile['predictions']['source'] };
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------------
// Token-level classes.

const HAS_LETTER = /\p{L}/u;
const HAS_DIGIT = /\p{N}/u;
const HAS_UPPER = /[\p{Lu}\p{Lt}]/u;
const HAS_LOWER = /\p{Ll}/u;
const ALL_DIGITS = /\d/g;

/** The shape class of a token (index into TOKEN_SHAPES). */
export function tokenShape(token: string): number {
  const letter = HAS_LETTER.test(token);
  const digit = HAS_DIGIT.test(token);
  if (letter && digit) return 4;
  if (digit) return 5;
  if (letter) {
    const upper = HAS_UPPER.test(token);
    const lower = HAS_LOWER.test(token);
    if (!upper) return 0;
    if (!lower) return token.replace(/[^\p{L}]/gu, '').length > 1 ? 2 : 1;
    const first = token.charAt(0);
    return HAS_UPPER.test(first) && !HAS_UPPER.test(token.slice(1)) ? 1 : 3;
  }
  if (/^\.+$/.test(token)) return 6;
  if (token === ',') return 7;
  if (token === ':' || token === ';') return 8;
  if (/^[()[\]{}]$/.test(token)) return 9;
  return 10;
}

/** How a token counts in the vocabulary: lower-cased, every digit read as 0. */
export function normalizeWord(token: string): string {
  return token.toLowerCase().replace(ALL_DIGITS, '0');
}

function sentenceLengthBin(length: number): number {
  const index = SENTENCE_LENGTH_BOUNDS.findIndex((bound) => length <= bound);
  return index < 0 ? SENTENCE_LENGTH_BOUNDS.length : index;
}

function densityBin(entities: number, tokens: number): number {
  const per100 = tokens > 0 ? (100 * entities) / tokens : 0;
  const index = DENSITY_BOUNDS.findIndex((bound) => per100 <= bound);
  return index < 0 ? DENSITY_BOUNDS.length : index;
}

// ---------------------------------------------------------------------------------------------------
// Predictions.

function bump(counts: number[], index: number, by: number): void {
  counts[index] = (counts[index] ?? 0) + by;
}

export function emptyPredictionCounts(): PredictionCounts {
  return { sentences: 0, tokens: 0, labels: DRIFT_LABELS.map(() => 0), entities: { disease: 0, treatment: 0 }, entityDensity: ENTITY_DENSITY_BINS.map(() => 0) };
}

/** Adds one sentence of `length` tokens holding the (disjoint, in-range) entity spans. */
export function addPredictedSentence(counts: PredictionCounts, length: number, spans: readonly TokenSpan[]): void {
  if (length <= 0) return;
  counts.sentences += 1;
  counts.tokens += length;
  let entityTokens = 0;
  for (const span of spans) {
    const width = Math.max(0, Math.min(span.end, length) - Math.max(span.start, 0));
    entityTokens += width;
    bump(counts.labels, span.type === 'D' ? 1 : 2, width);
    if (span.type === 'D') counts.entities.disease += 1;
    else counts.entities.treatment += 1;
  }
  bump(counts.labels, 0, length - entityTokens);
  bump(counts.entityDensity, densityBin(spans.length, length), 1);
}

export function mergePredictionCounts(parts: readonly PredictionCounts[]): PredictionCounts {
  const total = emptyPredictionCounts();
  for (const part of parts) {
    total.sentences += part.sentences;
    total.tokens += part.tokens;
    part.labels.forEach((n, i) => bump(total.labels, i, n));
    part.entityDensity.forEach((n, i) => bump(total.entityDensity, i, n));
    total.entities.disease += part.entities.disease;
    total.entities.treatment += part.entities.treatment;
  }
  return total;
}


// ---------------------------------------------------------------------------------------------------
// Observing a sample.

/** A sample's counts, accumulated sentence by sentence (a day of notes need not be held in memory). */
export class DriftObserver {
  sentences = 0;
  tokens = 0;
  readonly sentenceLengths: number[] = SENTENCE_LENGTH_BINS.map(() => 0);
  readonly shapes: number[] = TOKEN_SHAPES.map(() => 0);
  readonly words = new Map<string, number>();
  readonly predictions: PredictionCounts = emptyPredictionCounts();

  /** One sentence: its tokens and the entity spans predicted on it (token indices, end exclusive). */
  addSentence(words: readonly string[], spans: readonly TokenSpan[]): void {
    if (words.length === 0) return;
    this.sentences += 1;
    this.tokens += words.length;
    bump(this.sentenceLengths, sentenceLengthBin(words.length), 1);
    for (const word of words) {
      bump(this.shapes, tokenShape(word), 1);
      const key = normalizeWord(word);
      this.words.set(key, (this.words.get(key) ?? 0) + 1);
    }
    addPredictedSentence(this.predictions, words.length, spans);
  }

  /**
   * One note and the entities extracted from it (an ExtractionRecord's `entities`): the note is split into
   * sentences as extract() splits it, and each entity marks the tokens inside its offsets.
   */
  addNote(text: string, entities: readonly Entity[]): void {
    const sorted = [...entities].sort((a, b) => a.start - b.start);
    let next = 0;
    for (const sentence of splitSentences(text)) {
      const spans: TokenSpan[] = [];
      while (next < sorted.length && (sorted[next] as Entity).start < sentence.end) {
        const entity = sorted[next] as Entity;
        next += 1;
        const first = sentence.tokens.findIndex((t) => t.start >= entity.start);
        let end = first;
        while (end >= 0 && end < sentence.tokens.length && (sentence.tokens[end] as { end: number }).end <= entity.end) end += 1;
        if (first >= 0 && end > first) spans.push({ type: entity.type === 'disease' ? 'D' : 'T', start: first, end });
      }
      this.addSentence(
        sentence.tokens.map((t) => t.text),
        spans,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The training profile.

export interface TrainingProfileInput {
  sentences: readonly LabeledSentence[];
  /** Out-of-fold predictions on these sentences (from cross-validation); without them the gold labels stand in. */
  outOfFold?: { counts: PredictionCounts; folds: number; seed: number } | null;
}

function histogram(bins: readonly string[], counts: readonly number[]): Histogram {
  return { bins: [...bins], counts: [...counts] };
}

export function buildTrainingProfile({ sentences, outOfFold }: TrainingProfileInput): TrainingProfile {
  const observer = new DriftObserver();
  const gold = emptyPredictionCounts();
  for (const sentence of sentences) {
    const spans = spansFromCorpusLabels([...sentence.labels]);
    observer.addSentence(sentence.tokens, spans);
    addPredictedSentence(gold, sentence.tokens.length, spans);
  }
  const ranked = [...observer.words].filter(([, n]) => n >= VOCABULARY_MIN_COUNT).sort(byCountThenWord).slice(0, VOCABULARY_MAX_WORDS);
  const vocabulary = new Set(ranked.map(([word]) => word));
  // Leave each sentence out: a word token is known when the rest of the split holds its word minCount times.
  let wordTokens = 0;
  let unknown = 0;
  for (const sentence of sentences) {
    const own = new Map<string, number>();
    for (const token of sentence.tokens) {
      const key = normalizeWord(token);
      own.set(key, (own.get(key) ?? 0) + 1);
    }
    for (const [key, n] of own) {
      if (!HAS_LETTER.test(key)) continue;
      wordTokens += n;
      const rest = (observer.words.get(key) ?? 0) - n;
      if (!vocabulary.has(key) || rest < VOCABULARY_MIN_COUNT) unknown += n;
    }
  }
  const predicted = outOfFold?.counts ?? gold;
  return {
    schemaVersion: DRIFT_PROFILE_SCHEMA,
    sentences: observer.sentences,
    tokens: observer.tokens,
    sentenceLength: histogram(SENTENCE_LENGTH_BINS, observer.sentenceLengths),
    tokenShape: histogram(TOKEN_SHAPES, observer.shapes),
    vocabulary: {
      normalization: 'lower-case, digits as 0',
      minCount: VOCABULARY_MIN_COUNT,
      words: Object.fromEntries(ranked),
      tokens: observer.tokens,
      distinctWords: observer.words.size,
      wordTokens,
      heldOutOovRate: wordTokens > 0 ? unknown / wordTokens : 0,
    },
    predictions: {
      source: outOfFold ? 'out-of-fold' : 'gold',
      folds: outOfFold?.folds ?? null,
      seed: outOfFold?.seed ?? null,
      sentences: predicted.sentences,
      tokens: predicted.tokens,
      labels: histogram(DRIFT_LABELS, predicted.labels),
      entities: { ...predicted.entities },
      entityDensity: histogram(ENTITY_DENSITY_BINS, predicted.entityDensity),
    },
    gold: { labels: histogram(DRIFT_LABELS, gold.labels), entities: { ...gold.entities }, entityDensity: histogram(ENTITY_DENSITY_BINS, gold.entityDensity) },
  };
}

function byCountThenWord(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------
// Validation of a stored profile.

function isCountList(value: unknown, length: number): boolean {
  return Array.isArray(value) && value.length === length && value.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

function histogramProblem(value: unknown, name: string): string | null {
  const h = value as Histogram;
  if (typeof h !== 'object' || h === null || !Array.isArray(h.bins) || !h.bins.every((b) => typeof b === 'string')) return `"${name}.bins" must be a list of names`;
  if (!isCountList(h.counts, h.bins.length)) return `"${name}.counts" must be one non-negative number per bin`;
  return null;
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** What is wrong with a stored training profile's shape, or null when nothing is. */
export function trainingProfileProblem(value: unknown): string | null {
  const p = value as TrainingProfile;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'expected an object';
  if (!Number.isInteger(p.schemaVersion)) return '"schemaVersion" must be an integer';
  if (!isCount(p.sentences) || !isCount(p.tokens)) return '"sentences" and "tokens" must be counts';
  for (const name of ['sentenceLength', 'tokenShape'] as const) {
    const problem = histogramProblem(p[name], name);
    if (problem) return problem;
  }
  const v = p.vocabulary;
  if (typeof v !== 'object' || v === null || typeof v.words !== 'object' || v.words === null || Array.isArray(v.words)) return '"vocabulary.words" must be an object of word counts';
  if (!Object.values(v.words).every(isCount)) return '"vocabulary.words" must map words to counts';
  if (![v.tokens, v.wordTokens, v.distinctWords].every(isCount)) return '"vocabulary" must give tokens, wordTokens and distinctWords';
  if (!(isCount(v.heldOutOovRate) && v.heldOutOovRate <= 1)) return '"vocabulary.heldOutOovRate" must be a share in [0, 1]';
  for (const [name, part] of [['predictions', p.predictions], ['gold', p.gold]] as const) {
    if (typeof part !== 'object' || part === null) return `"${name}" must be an object`;
    const problem = histogramProblem(part.labels, `${name}.labels`) ?? histogramProblem(part.entityDensity, `${name}.entityDensity`);
    if (problem) return problem;
    if (typeof part.entities !== 'object' || part.entities === null || !isCount(part.entities.disease) || !isCount(part.entities.treatment)) return `"${name}.entities" must count disease and treatment`;
  }
  if (p.predictions.source !== 'out-of-fold' && p.predictions.source !== 'gold') return '"predictions.source" must be out-of-fold or gold';
  if (!isCount(p.predictions.sentences) || !isCount(p.predictions.tokens)) return '"predictions" must give sentences and tokens';
  return null;
}

/** Whether this code can compare with the profile: same schema, same bins. */
function assertComparable(profile: TrainingProfile): void {
  const same = (h: Histogram, bins: readonly string[]): boolean => h.bins.length === bins.length && h.bins.every((b, i) => b === bins[i]);
  if (
    profile.schemaVersion !== DRIFT_PROFILE_SCHEMA ||
    !same(profile.sentenceLength, SENTENCE_LENGTH_BINS) ||
    !same(profile.tokenShape, TOKEN_SHAPES) ||
    !same(profile.predictions.labels, DRIFT_LABELS) ||
    !same(profile.predictions.entityDensity, ENTITY_DENSITY_BINS)
  ) {
    throw new NerError(
      'NER_ERR_DRIFT_NO_PROFILE',
      'the model card\'s training profile was written with other bins or schema than this code compares; rebuild it (scripts/backfill-model-card.ts)',
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Comparing.

const LN2 = Math.log(2);

function total(counts: readonly number[]): number {
  let sum = 0;
  for (const n of counts) sum += n;
  return sum;
}

/** Jensen–Shannon divergence, in bits (so in [0, 1]), of two histograms given as counts or shares; 0 when either is empty. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = total(p);
  const sq = total(q);
  if (!(sp > 0) || !(sq > 0)) return 0;
  let divergence = 0;
  const length = Math.max(p.length, q.length);
  for (let i = 0; i < length; i++) {
    const a = (p[i] ?? 0) / sp;
    const b = (q[i] ?? 0) / sq;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log(b / m);
  }
  return Math.min(1, Math.max(0, divergence / LN2));
}

/** The divergence two multinomial samples of sizes n and N from one distribution over k bins show on average. */
export function samplingNoise(bins: number, n: number, N: number): number {
  if (!(n > 0) || !(N > 0) || bins < 2) return 0;
  return ((bins - 1) * (1 / n + 1 / N)) / (8 * LN2);
}

function occupiedBins(p: readonly number[], q: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) if ((p[i] ?? 0) > 0 || (q[i] ?? 0) > 0) k += 1;
  return k;
}

function shares(counts: readonly number[]): number[] {
  const sum = total(counts);
  return counts.map((n) => (sum > 0 ? n / sum : 0));
}

function scored(
  name: DriftFeature,
  reference: readonly number[],
  sample: readonly number[],
  sizes: { reference: number; sample: number },
  headline: { measure: string; reference: number; sample: number },
  bins?: readonly string[],
): DriftFeatureResult {
  const divergence = jensenShannon(reference, sample);
  const noise = samplingNoise(occupiedBins(reference, sample), sizes.sample, sizes.reference);
  const result: DriftFeatureResult = { name, score: Math.max(0, divergence - noise), divergence, noise, ...headline };
  if (bins) {
    const r = shares(reference);
    const s = shares(sample);
    result.bins = bins.map((bin, i) => ({ bin, reference: r[i] ?? 0, sample: s[i] ?? 0 }));
  }
  return result;
}

export function driftLevel(score: number, thresholds: DriftThresholds): DriftLevel {
  if (!(score >= thresholds.watch)) return 'none';
  if (score < thresholds.retrain) return 'watch';
  if (score < thresholds.alert) return 'retrain';
  return 'alert';
}

function meanOfBins(counts: readonly number[], bounds: readonly number[]): number {
  // Mid-points of the bins; the last (open) bin counts at 1.5 × its lower bound.
  const mids = bounds.map((bound, i) => (i === 0 ? (1 + bound) / 2 : ((bounds[i - 1] as number) + 1 + bound) / 2));
  mids.push(((bounds[bounds.length - 1] as number) + 1) * 1.5);
  const sum = total(counts);
  return sum > 0 ? counts.reduce((acc, n, i) => acc + n * (mids[i] as number), 0) / sum : 0;
}

function per100(entities: { disease: number; treatment: number }, tokens: number): number {
  return tokens > 0 ? (100 * (entities.disease + entities.treatment)) / tokens : 0;
}

/** Scores a sample against a training profile, feature by feature; the overall score is the largest. */
export function compareDrift(profile: TrainingProfile, sample: DriftObserver, thresholds: DriftThresholds): DriftResult {
  assertComparable(profile);
  const n = { sentences: sample.sentences, tokens: sample.tokens };
  const features: DriftFeatureResult[] = [];

  features.push(
    scored('sentence-length', profile.sentenceLength.counts, sample.sentenceLengths, { reference: profile.sentences, sample: n.sentences }, {
      measure: 'mean tokens per sentence (from the bins)',
      reference: meanOfBins(profile.sentenceLength.counts, SENTENCE_LENGTH_BOUNDS),
      sample: meanOfBins(sample.sentenceLengths, SENTENCE_LENGTH_BOUNDS),
    }, SENTENCE_LENGTH_BINS),
  );

  const ref = shares(profile.tokenShape.counts);
  const obs = shares(sample.shapes);
  const moved = TOKEN_SHAPES.map((_, i) => Math.abs((obs[i] ?? 0) - (ref[i] ?? 0)));
  const most = moved.indexOf(Math.max(...moved));
  features.push(
    scored('token-shape', profile.tokenShape.counts, sample.shapes, { reference: profile.tokens, sample: n.tokens }, {
      measure: `share of "${TOKEN_SHAPES[most] as string}" tokens (the shape that moved most)`,
      reference: ref[most] ?? 0,
      sample: obs[most] ?? 0,
    }, TOKEN_SHAPES),
  );

  const ranked = Object.entries(profile.vocabulary.words).sort(byCountThenWord);
  const top = ranked.slice(0, VOCABULARY_TOP_WORDS);
  const topReference = top.map(([, count]) => count);
  const topSample = top.map(([word]) => sample.words.get(word) ?? 0);
  const vocabularyReference = [...topReference, Math.max(0, profile.vocabulary.tokens - total(topReference))];
  const vocabularySample = [...topSample, Math.max(0, n.tokens - total(topSample))];
  // The headline is the bin that moved most: a training word (never a word of the sample: notes are patient data).
  const wordShares = { reference: shares(vocabularyReference), sample: shares(vocabularySample) };
  const wordMoves = vocabularyReference.map((_, i) => Math.abs((wordShares.sample[i] ?? 0) - (wordShares.reference[i] ?? 0)));
  const movedMost = n.tokens > 0 ? wordMoves.indexOf(Math.max(...wordMoves)) : top.length;
  features.push(
    scored('vocabulary', vocabularyReference, vocabularySample, { reference: profile.vocabulary.tokens, sample: n.tokens }, {
      measure:
        movedMost < top.length
          ? `share of "${(top[movedMost] as [string, number])[0]}" (the training word that moved most)`
          : `share of tokens outside the ${top.length} most frequent training words`,
      reference: wordShares.reference[movedMost] ?? 0,
      sample: wordShares.sample[movedMost] ?? 0,
    }),
  );

  const known = new Set(ranked.map(([word]) => word));
  let wordTokens = 0;
  let unknown = 0;
  for (const [word, count] of sample.words) {
    if (!HAS_LETTER.test(word)) continue;
    wordTokens += count;
    if (!known.has(word)) unknown += count;
  }
  const referenceRate = profile.vocabulary.heldOutOovRate;
  const sampleRate = wordTokens > 0 ? unknown / wordTokens : 0;
  features.push(
    scored('out-of-vocabulary', [1 - referenceRate, referenceRate], wordTokens > 0 ? [wordTokens - unknown, unknown] : [0, 0], { reference: profile.vocabulary.wordTokens, sample: wordTokens }, {
      measure: 'share of word tokens outside the training vocabulary (training: each sentence left out)',
      reference: referenceRate,
      sample: sampleRate,
    }),
  );

  const predicted = profile.predictions;
  features.push(
    scored('entity-density', predicted.entityDensity.counts, sample.predictions.entityDensity, { reference: predicted.sentences, sample: sample.predictions.sentences }, {
      measure: 'predicted entities per 100 tokens',
      reference: per100(predicted.entities, predicted.tokens),
      sample: per100(sample.predictions.entities, sample.predictions.tokens),
    }, ENTITY_DENSITY_BINS),
  );

  const referenceLabels = shares(predicted.labels.counts);
  const sampleLabels = shares(sample.predictions.labels);
  features.push(
    scored('labels', predicted.labels.counts, sample.predictions.labels, { reference: predicted.tokens, sample: sample.predictions.tokens }, {
      measure: 'share of tokens predicted inside an entity (D or T)',
      reference: 1 - (referenceLabels[0] ?? 1),
      sample: sample.predictions.tokens > 0 ? 1 - (sampleLabels[0] ?? 1) : 0,
    }, DRIFT_LABELS),
  );

  const strongest = features.reduce((a, b) => (b.score > a.score ? b : a));
  const warnings: string[] = [];
  if (n.tokens === 0) warnings.push('the sample holds no token: nothing to compare');
  else if (n.tokens < MIN_SAMPLE_TOKENS) warnings.push(`the sample holds ${n.tokens} tokens (fewer than ${MIN_SAMPLE_TOKENS}): its scores are mostly noise`);
  if (predicted.source !== 'out-of-fold') warnings.push('the profile compares predictions with the gold labels (it was built without cross-validation): entity-density and labels read high');
  return {
    score: strongest.score,
    level: driftLevel(strongest.score, thresholds),
    drivenBy: strongest.name,
    thresholds: { ...thresholds },
    features,
    sample: { ...n, entities: sample.predictions.entities.disease + sample.predictions.entities.treatment },
    reference: { sentences: profile.sentences, tokens: profile.tokens, predictions: predicted.source },
    warnings,
  };
}
