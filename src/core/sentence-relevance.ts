import { foldPartition, kFoldIndices, mulberry32 } from './folds.js';
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

/** memos[i], when given, is lowerWords[i]'s WordMemo: the word's weights are looked up once per memo. */
export function relevanceProbability(model: RelevanceModel, lowerWords: readonly string[], memos?: readonly WordMemo[]): number {
  const index = weightIndex(model);
  if (!index) {
    let z = model.bias;
    for (const feature of relevanceFeatures(lowerWords)) z += model.weights.get(feature) ?? 0;
    return 1 / (1 + Math.exp(-z));
  }
  // The same sum without building a feature string per word: each known unigram and bigram counts once.
  // A weight counted in this call carries this call's mark (no set to allocate per sentence). One lookup
  // per word finds both its unigram and the bigrams it starts: the big map is the cost here.
  const mark = ++index.calls;
  let z = model.bias;
  let previous: WordWeights | undefined;
  for (let i = 0; i < lowerWords.length; i++) {
    const word = lowerWords[i] as string;
    let entry: WordWeights | undefined;
    const memo = memos?.[i];
    if (memo === undefined) entry = index.words.get(word);
    else {
      const cached = memo[index.memoKey] as WordWeights | null | undefined;
      if (cached === undefined) memo[index.memoKey] = (entry = index.words.get(word)) ?? null;
      else entry = cached ?? undefined;
    }
    const unigram = entry?.unigram;
    if (unigram && unigram.mark !== mark) {
      unigram.mark = mark;
      z += unigram.value;
    }
    const bigram = previous?.bigrams?.get(word);
    if (bigram && bigram.mark !== mark) {
      bigram.mark = mark;
      z += bigram.value;
    }
    previous = entry;
  }
  return 1 / (1 + Math.exp(-z));
}

interface Weight {
  value: number;
  mark: number;
}
/** A word's unigram weight and the weights of the bigrams it starts, keyed by the second word. */
interface WordWeights {
  unigram: Weight | null;
  bigrams: Map<string, Weight> | null;
}
interface WeightIndex {
  calls: number;
  words: Map<string, WordWeights>;
  /** This index's entry of a word, or null for none, cached on the word's WordMemo. */
  memoKey: symbol;
}
const weightIndexes = new WeakMap<RelevanceModel, WeightIndex | null>();

/**
 * The weights keyed by word, built once per model. Null (use the feature strings) when a bigram key holds
 * more than one '|', where the split into the two words would be ambiguous.
 */
function weightIndex(model: RelevanceModel): WeightIndex | null {
  let index = weightIndexes.get(model);
  if (index !== undefined) return index;
  const words = new Map<string, WordWeights>();
  const entryOf = (word: string): WordWeights => {
    let entry = words.get(word);
    if (!entry) words.set(word, (entry = { unigram: null, bigrams: null }));
    return entry;
  };
  index = { calls: 0, words, memoKey: Symbol('relevance weights') };
  for (const [feature, value] of model.weights) {
    if (feature.startsWith('u:')) entryOf(feature.slice(2)).unigram = { value, mark: 0 };
    else if (feature.startsWith('b:')) {
      const pair = feature.slice(2);
      const bar = pair.indexOf('|');
      if (bar < 0 || pair.indexOf('|', bar + 1) >= 0) {
        index = null;
        break;
      }
      const first = entryOf(pair.slice(0, bar));
      (first.bigrams ??= new Map()).set(pair.slice(bar + 1), { value, mark: 0 });
    }
  }
  weightIndexes.set(model, index);
  return index;
}

/** Logistic regression by SGD with L2, in a seeded order: the same data always gives the same model. */
export function trainRelevanceModel(
  sentences: readonly { lowerWords: readonly string[]; relevant: boolean }[],
  options: RelevanceOptions = DEFAULT_RELEVANCE_OPTIONS,
): RelevanceModel {
  const items = sentences.map((s) => ({ features: relevanceFeatures(s.lowerWords), y: s.relevant ? 1 : 0 }));
  const weights = new Map<string, number>();
  let bias = 0;
  const random = mulberry32(options.seed);
  const order = items.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const index of order) {
      const item = items[index] as (typeof items)[number];
      let z = bias;
      for (const f of item.features) z += weights.get(f) ?? 0;
      const gradient = 1 / (1 + Math.exp(-z)) - item.y;
      bias -= options.learningRate * gradient;
      for (const f of item.features) {
        const w = weights.get(f) ?? 0;
        weights.set(f, w - options.learningRate * (gradient + options.l2 * w));
      }
    }
  }
  return { bias, weights };
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
