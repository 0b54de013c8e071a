import { foldPartition, kFoldIndices } from '../text/folds.js';
import { IntPairMap } from './int-pair-map.js';
import { trainLogistic } from './logistic-regression.js';
import type { WordMemo } from './word-memo.js';

/**
 * How likely a sentence is to carry annotations at all. The corpus's annotators labelled diseases and
 * treatments only in sentences stating a disease–treatment relation and left other mentions O, so about
 * half the sentences have no label though many name diseases. A CRF sees only a few tokens around each
 * word; this bag-of-words logistic regression sees the whole sentence (0.82 accuracy, AUC 0.90 out of
 * fold on the train split), and its probability becomes a feature of every token (the `relevance` template).
 */
export interface RelevanceModel {
  bias: number;
  weights: ReadonlyMap<string, number>;
}

export interface RelevanceOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_RELEVANCE_OPTIONS: RelevanceOptions = { epochs: 10, learningRate: 0.1, l2: 1e-4, seed: 1 };

/**
 * Lower-cased words and word pairs of a sentence, each once. (Porter stems and L2 1e-3 gave the classifier
 * a better log-loss, 0.393 against 0.413, but the CRF using it scored 0.8 points lower in cross-validation.)
 */
export function relevanceFeatures(lowerWords: readonly string[]): string[] {
  const features = new Set<string>();
  lowerWords.forEach((word, i) => {
    features.add(`u:${word}`);
    if (i > 0) features.add(`b:${lowerWords[i - 1]}|${word}`);
  });
  return [...features];
}

/** memos[i], when given, is lowerWords[i]'s WordMemo: the word's id in the weight index is looked up once per memo. */
export function relevanceProbability(model: RelevanceModel, lowerWords: readonly string[], memos?: readonly WordMemo[]): number {
  const index = weightIndex(model);
  if (!index) {
    let z = model.bias;
    for (const feature of relevanceFeatures(lowerWords)) z += model.weights.get(feature) ?? 0;
    return 1 / (1 + Math.exp(-z));
  }
  // The same sum without building a feature string per word: each known unigram and bigram counts once.
  // A weight counted in this call carries this call's mark (no set to allocate per sentence). Words are
  // ids and weights sit in typed arrays: a Map per word cost several dependent cache misses per lookup.
  if (index.calls >= MAX_MARK) {
    index.unigramMarks.fill(0);
    index.bigramMarks.fill(0);
    index.calls = 0;
  }
  const mark = ++index.calls;
  const { unigrams, unigramMarks, bigrams, bigramValues, bigramMarks } = index;
  let z = model.bias;
  let previous = UNKNOWN;
  for (let i = 0; i < lowerWords.length; i++) {
    let id: number;
    const memo = memos?.[i];
    if (memo === undefined) id = index.ids.get(lowerWords[i] as string) ?? UNKNOWN;
    else {
      const cached = memo[index.memoKey] as number | undefined;
      if (cached === undefined) memo[index.memoKey] = id = index.ids.get(lowerWords[i] as string) ?? UNKNOWN;
      else id = cached;
    }
    if (id !== UNKNOWN) {
      if (unigramMarks[id] !== mark) {
        unigramMarks[id] = mark;
        z += unigrams[id] as number;
      }
      if (previous !== UNKNOWN) {
        const b = bigrams.get(previous, id, UNKNOWN);
        if (b !== UNKNOWN && bigramMarks[b] !== mark) {
          bigramMarks[b] = mark;
          z += bigramValues[b] as number;
        }
      }
    }
    previous = id;
  }
  return 1 / (1 + Math.exp(-z));
}

const UNKNOWN = -1;
const MAX_MARK = 0x3fffffff;

/**
 * A model's weights by word id: a word's unigram weight at unigrams[id] (0 when it has none), a bigram's
 * at bigramValues[bigrams.get(first id, second id)].
 */
interface WeightIndex {
  calls: number;
  ids: Map<string, number>;
  unigrams: Float64Array;
  unigramMarks: Int32Array;
  bigrams: IntPairMap;
  bigramValues: Float64Array;
  bigramMarks: Int32Array;
  /** The word's id in this index (UNKNOWN for none), cached on the word's WordMemo. */
  memoKey: symbol;
}
const weightIndexes = new WeakMap<RelevanceModel, WeightIndex | null>();

/**
 * The weights keyed by word id, built once per model. Null (use the feature strings) when a bigram key
 * holds more than one '|', where the split into the two words would be ambiguous.
 */
function weightIndex(model: RelevanceModel): WeightIndex | null {
  let index = weightIndexes.get(model);
  if (index === undefined) weightIndexes.set(model, (index = buildWeightIndex(model)));
  return index;
}

function buildWeightIndex(model: RelevanceModel): WeightIndex | null {
  const ids = new Map<string, number>();
  const idOf = (word: string): number => {
    let id = ids.get(word);
    if (id === undefined) ids.set(word, (id = ids.size));
    return id;
  };
  const unigramList: [number, number][] = [];
  const bigramList: [number, number, number][] = [];
  for (const [feature, value] of model.weights) {
    if (feature.startsWith('u:')) unigramList.push([idOf(feature.slice(2)), value]);
    else if (feature.startsWith('b:')) {
      const pair = feature.slice(2);
      const bar = pair.indexOf('|');
      if (bar < 0 || pair.indexOf('|', bar + 1) >= 0) return null;
      bigramList.push([idOf(pair.slice(0, bar)), idOf(pair.slice(bar + 1)), value]);
    }
  }
  const unigrams = new Float64Array(ids.size);
  for (const [id, value] of unigramList) unigrams[id] = value;
  const bigrams = new IntPairMap(bigramList.length);
  const bigramValues = new Float64Array(bigramList.length);
  bigramList.forEach(([first, second, value], b) => {
    bigrams.set(first, second, b);
    bigramValues[b] = value;
  });
  return {
    calls: 0,
    ids,
    unigrams,
    unigramMarks: new Int32Array(ids.size),
    bigrams,
    bigramValues,
    bigramMarks: new Int32Array(bigramList.length),
    memoKey: Symbol('relevance word id'),
  };
}

/** Logistic regression by SGD with L2, in a seeded order: the same data always gives the same model. */
export function trainRelevanceModel(
  sentences: readonly { lowerWords: readonly string[]; relevant: boolean }[],
  options: RelevanceOptions = DEFAULT_RELEVANCE_OPTIONS,
): RelevanceModel {
  return trainLogistic(sentences.map((s) => ({ features: relevanceFeatures(s.lowerWords), y: s.relevant ? 1 : 0 })), options);
}

/** One classifier per question: does the sentence carry any entity, a disease, a treatment? */
export interface RelevanceModels {
  any: RelevanceModel;
  disease: RelevanceModel;
  treatment: RelevanceModel;
}
export const RELEVANCE_TARGETS = ['any', 'disease', 'treatment'] as const;
export type RelevanceTarget = (typeof RELEVANCE_TARGETS)[number];

export interface RelevanceExample {
  lowerWords: readonly string[];
  labels: readonly string[];
}

function targetOf(target: (typeof RELEVANCE_TARGETS)[number], labels: readonly string[]): boolean {
  if (target === 'any') return labels.some((l) => l !== 'O');
  return labels.includes(target === 'disease' ? 'D' : 'T');
}

export function trainRelevanceModels(sentences: readonly RelevanceExample[], options: RelevanceOptions = DEFAULT_RELEVANCE_OPTIONS): RelevanceModels {
  const train = (target: (typeof RELEVANCE_TARGETS)[number]) =>
    trainRelevanceModel(sentences.map((s) => ({ lowerWords: s.lowerWords, relevant: targetOf(target, s.labels) })), options);
  return { any: train('any'), disease: train('disease'), treatment: train('treatment') };
}

/**
 * Relevance models for training a CRF: for each of k folds of the sentences, a model trained on the other
 * folds, so the CRF learns from probabilities as noisy as those it will see on new text (a model trained on
 * a sentence is over-confident about it). Returns the model to use for each sentence, and the one trained
 * on all sentences, which ships with the CRF.
 */
export function outOfFoldRelevance(
  sentences: readonly RelevanceExample[],
  folds = 5,
  options: RelevanceOptions = DEFAULT_RELEVANCE_OPTIONS,
): { perSentence: RelevanceModels[]; full: RelevanceModels } {
  const perSentence = new Array<RelevanceModels>(sentences.length);
  const k = Math.min(folds, sentences.length);
  if (k >= 2) {
    const indices = kFoldIndices(sentences.length, k, options.seed);
    for (let fold = 0; fold < k; fold++) {
      const { train } = foldPartition(sentences, indices, fold);
      const models = trainRelevanceModels(train, options);
      for (const i of indices[fold] as number[]) perSentence[i] = models;
    }
  }
  const full = trainRelevanceModels(sentences, options);
  for (let i = 0; i < perSentence.length; i++) perSentence[i] ??= full;
  return { perSentence, full };
}
