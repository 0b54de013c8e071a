/**
 * Whether a span reranker pays: the CRF proposes candidate spans (every span whose marginal probability is at
 * least 0.05), a logistic regression over span-level features (the CRF's probability, type, length, edge
 * words, the words around it, coordination inside it, whether the gazetteer names the whole span, whether it
 * is the likeliest of the candidates it overlaps) says which are entities, and the likeliest are kept without
 * overlaps. k-fold cross-validation on the train split only; inside each fold the reranker learns from
 * candidates of CRFs that never saw their sentences (an inner k-fold), as for unseen text.
 *   node --import tsx scripts/experiments/rerank-cv.ts [--folds 5] [--inner 5] [--only 0,1] [--thresholds 0.3,0.4,0.5]
 * Prints one JSON line per fold, and the means at the end.
 */
import { parseArgs } from 'node:util';
import { productionFolds } from './production-folds.js';
import type { CrfNerModel } from '../../src/core/crf-ner-model.js';
import { caseForTagging, type SequenceTagger } from '../../src/core/extract.js';
import { FeatureEncoder, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import type { FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { foldPartition, kFoldIndices, mulberry32, shuffleInPlace } from '../../src/core/text/folds.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import { spanScorer } from '../../src/core/tagger/span-confidence.js';
import type { LabeledSentence } from '../../src/core/text/types.js';
import { evaluateTagger, trainTagger } from '../../src/training/train-tagger.js';

const { values } = parseArgs({ options: { folds: { type: 'string', default: '5' }, inner: { type: 'string', default: '5' }, only: { type: 'string' }, thresholds: { type: 'string', default: '0.3,0.35,0.4,0.45,0.5' } } });
const { spec, resources: fixed, sentences, folds } = await productionFolds(Number(values.folds));
const CANDIDATE_THRESHOLD = 0.05;
const MAX_LENGTH = 10;

type TokenSpanLike = Pick<TokenSpan, 'start' | 'end'>;

interface Candidate extends TokenSpan {
  probability: number;
}

/** The CRF's candidate spans of a sentence, with their marginal probabilities. */
function candidatesOf(model: CrfNerModel, encoder: FeatureEncoder, words: readonly string[]): Candidate[] {
  if (words.length === 0) return [];
  const L = model.weights.labels.length;
  const scores = new Float64Array(words.length * L);
  encoder.scoreStates(words, scores);
  return spanScorer(scores, words.length, model.weights, model.labelEncoding).candidates(CANDIDATE_THRESHOLD, MAX_LENGTH).map((c) => ({ type: c.type, start: c.start, end: c.end, probability: c.probability }));
}

const COORDINATION = new Set(['and', 'or', ',', 'with', 'plus', 'and/or', '(', ')', 'of', 'in', 'for']);
const bucket = (p: number) => Math.min(9, Math.floor(p * 10));

/** Each candidate's features; the sentence's lower-cased words and gazetteer matches are found once. */
function candidateFeatures(words: readonly string[], all: readonly Candidate[], resources: FeatureResources): { names: string[]; numeric: number[] }[] {
  const lower = words.map((w) => w.toLowerCase());
  const gaz = resources.gazetteer?.matchSpans(lower) ?? [];
  return all.map((c) => spanFeatures(lower, gaz, c, all));
}

function spanFeatures(lower: readonly string[], gaz: readonly TokenSpanLike[], c: Candidate, all: readonly Candidate[]): { names: string[]; numeric: number[] } {
  const t = c.type;
  const inside = lower.slice(c.start, c.end);
  const names = [
    `type=${t}`, `p=${t}:${bucket(c.probability)}`, `len=${t}:${Math.min(6, c.end - c.start)}`,
    `first=${t}:${inside[0]}`, `last=${t}:${inside[inside.length - 1]}`,
    `before=${t}:${lower[c.start - 1] ?? '<s>'}`, `after=${t}:${lower[c.end] ?? '</s>'}`,
    `before2=${t}:${lower[c.start - 2] ?? '<s>'}|${lower[c.start - 1] ?? '<s>'}`, `after2=${t}:${lower[c.end] ?? '</s>'}|${lower[c.end + 1] ?? '</s>'}`,
  ];
  for (const w of inside) if (COORDINATION.has(w)) names.push(`has=${t}:${w}`);
  const overlapping = all.filter((o) => o !== c && o.start < c.end && c.start < o.end);
  const top = overlapping.every((o) => o.probability <= c.probability);
  names.push(`top=${t}:${top}`);
  if (overlapping.some((o) => o.type !== t)) names.push(`rivalType=${t}`);
  if (overlapping.some((o) => o.type === t && o.start <= c.start && o.end >= c.end && (o.end - o.start) > (c.end - c.start))) names.push(`inside-longer=${t}`);
  if (overlapping.some((o) => o.type === t && o.start >= c.start && o.end <= c.end && (o.end - o.start) < (c.end - c.start))) names.push(`contains-shorter=${t}`);
  if (gaz.some((g) => g.start === c.start && g.end === c.end)) names.push(`gaz-exact=${t}`);
  else if (gaz.some((g) => g.start < c.end && c.start < g.end)) names.push(`gaz-overlap=${t}`);
  const clipped = Math.min(1 - 1e-6, Math.max(1e-6, c.probability));
  return { names, numeric: [Math.log(clipped / (1 - clipped))] };
}

interface Example {
  names: string[];
  numeric: number[];
  y: number;
}

/** Logistic regression by SGD with L2, seeded. */
function trainLogistic(examples: readonly Example[], epochs = 15, rate = 0.05, l2 = 1e-4) {
  const weights = new Map<string, number>();
  const numeric = new Float64Array(examples[0]?.numeric.length ?? 0);
  let bias = 0;
  const random = mulberry32(3);
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const e = examples[index] as Example;
      let z = bias;
      for (const f of e.names) z += weights.get(f) ?? 0;
      e.numeric.forEach((x, k) => (z += (numeric[k] as number) * x));
      const g = 1 / (1 + Math.exp(-z)) - e.y;
      bias -= rate * g;
      for (const f of e.names) {
        const w = weights.get(f) ?? 0;
        weights.set(f, w - rate * (g + l2 * w));
      }
      e.numeric.forEach((x, k) => (numeric[k] = (numeric[k] as number) - rate * (g * x + l2 * (numeric[k] as number))));
    }
  }
  return (names: readonly string[], xs: readonly number[]) => {
    let z = bias;
    for (const f of names) z += weights.get(f) ?? 0;
    xs.forEach((x, k) => (z += (numeric[k] as number) * x));
    return 1 / (1 + Math.exp(-z));
  };
}

function goldSpans(s: LabeledSentence): TokenSpan[] {
  const spans: TokenSpan[] = [];
  for (let i = 0; i < s.labels.length; ) {
    const l = s.labels[i];
    if (l === 'O') { i++; continue; }
    let j = i;
    while (j < s.labels.length && s.labels[j] === l) j++;
    spans.push({ type: l as TokenSpan['type'], start: i, end: j });
    i = j;
  }
  return spans;
}

function examplesOf(model: CrfNerModel, resources: FeatureResources, sentencesOf: readonly LabeledSentence[]): Example[] {
  const encoder = new FeatureEncoder(planFeatures(model.templates), model.weights.attributeIds, resources, { weights: model.weights });
  const out: Example[] = [];
  for (const s of sentencesOf) {
    const gold = goldSpans(s);
    const candidates = candidatesOf(model, encoder, s.tokens);
    candidateFeatures(s.tokens, candidates, resources).forEach(({ names, numeric }, i) => {
      const c = candidates[i] as Candidate;
      out.push({ names, numeric, y: gold.some((g) => g.type === c.type && g.start === c.start && g.end === c.end) ? 1 : 0 });
    });
  }
  return out;
}

const thresholds = values.thresholds.split(',').map(Number);
const only = values.only ? values.only.split(',').map(Number) : folds.map((_, i) => i);
const f = (r: ReturnType<typeof evaluateTagger>) => ({ micro: Number(r.strict.micro.f1.toFixed(4)), disease: Number(r.strict.disease.f1.toFixed(4)), treatment: Number(r.strict.treatment.f1.toFixed(4)) });
for (const fold of only) {
  const started = performance.now();
  const { train, heldOut } = foldPartition(sentences, folds, fold);
  const inner = kFoldIndices(train.length, Number(values.inner), 7);
  const examples: Example[] = [];
  for (let k = 0; k < inner.length; k++) {
    const part = foldPartition(train, inner, k);
    const first = await trainTagger(part.train, spec, fixed);
    examples.push(...examplesOf(first.model, first.resources, part.heldOut));
  }
  const score = trainLogistic(examples);
  const crf = await trainTagger(train, spec, fixed);
  const base = evaluateTagger(crf.model, heldOut);
  const encoder = new FeatureEncoder(planFeatures(crf.model.templates), crf.model.weights.attributeIds, crf.resources, { weights: crf.model.weights });
  // Each held-out sentence's candidates scored once, as evaluateTagger will pass it (cased for tagging).
  const scoredBySentence = heldOut.map((s) => {
    const words = caseForTagging(s.tokens);
    const candidates = candidatesOf(crf.model, encoder, words);
    return candidateFeatures(words, candidates, crf.resources).map(({ names, numeric }, i) => ({ ...(candidates[i] as Candidate), score: score(names, numeric) }));
  });
  const reranked: Record<string, ReturnType<typeof f>> = {};
  for (const threshold of thresholds) {
    // evaluateTagger tags the held-out sentences once each, in order.
    let next = 0;
    const tagger: SequenceTagger = {
      version: 'reranked', labelEncoding: crf.model.labelEncoding, spanRules: crf.model.spanRules,
      ...(crf.model.noteLexicon ? { noteLexicon: crf.model.noteLexicon } : {}),
      tag: () => { throw new Error('unused'); },
      tagScored: () => {
        const scored = (scoredBySentence[next++] ?? []).filter((c) => c.score >= threshold).sort((a, b) => b.score - a.score);
        const kept: (typeof scored)[number][] = [];
        for (const c of scored) if (!kept.some((k) => k.start < c.end && c.start < k.end)) kept.push(c);
        kept.sort((a, b) => a.start - b.start);
        return { spans: kept.map(({ type, start, end }) => ({ type, start, end })), confidence: (span) => kept.find((k) => k.start === span.start && k.end === span.end)?.score ?? 0 };
      },
    };
    reranked[String(threshold)] = f(evaluateTagger(tagger, heldOut));
  }
  console.log(JSON.stringify({ fold, examples: examples.length, positives: examples.filter((e) => e.y === 1).length, crf: f(base), reranked, seconds: Math.round((performance.now() - started) / 1000) }));
}
