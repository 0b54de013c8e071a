/**
 * Whether combining CRFs pays: k-fold cross-validation on the train split (never the test split) of the
 * production configuration alone, of each variant alone, and of the production CRF with the variants,
 * decoding spans whose probability averaged over the members reaches a threshold (the members' own
 * marginal decodings are the candidates: a mean at or above the threshold has one member at or above it).
 *   node --import tsx scripts/experiments/ensemble-cv.ts [--variants IO,wide] [--thresholds 0.2,0.25,0.3,0.35] [--folds 5]
 * Variants: IO (IO labels instead of BIO), wide (+ word, POS and gazetteer two and three tokens away),
 * no-relevance (without the relevance templates), c1-c2 (c1 0.1, c2 0.01). Trains 1 + variants CRFs per fold
 * in this process (about a minute each). Prints one JSON line per configuration; models/README.md has the figures.
 */
import { parseArgs } from 'node:util';
import { productionFolds } from './production-folds.js';
import { foldPartition } from '../../src/core/text/folds.js';
import { evaluateTagger, trainTagger } from '../../src/training/train-tagger.js';
import type { TrainingSpec } from '../../src/core/tagger/training-spec.js';
import { FeatureEncoder, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import { spanScorer, type SpanScorer } from '../../src/core/tagger/span-confidence.js';
import { decodeByMarginals } from '../../src/core/tagger/span-decoding.js';
import type { TokenSpan } from '../../src/core/tagger/label-codec.js';
import { addItemStateScores } from '../../src/core/tagger/viterbi.js';
import type { CrfNerModel } from '../../src/core/crf-ner-model.js';
import type { SequenceTagger, ScoredTagging } from '../../src/core/extract.js';
import type { FeatureResources } from '../../src/core/tagger/feature-templates.js';

const { values } = parseArgs({ options: { variants: { type: 'string', default: 'IO' }, thresholds: { type: 'string', default: '0.2,0.25,0.3,0.35' }, folds: { type: 'string', default: '5' } } });
const { spec: base, resources, sentences, folds } = await productionFolds(Number(values.folds));
const variantSpecs: Record<string, TrainingSpec> = {
  IO: { ...base, labelEncoding: 'IO' },
  'c1-c2': { ...base, parameters: { ...base.parameters, c1: 0.1, c2: 0.01 } },
  'no-relevance': { ...base, templates: base.templates.filter((t) => t !== 'word-x-relevance' && t !== 'relevance') },
  wide: { ...base, templates: [...base.templates, 'wide', 'pos-notes-wide', 'gazetteer-wide'] },
};

/**
 * A tagger over the members' averaged span probabilities; tag() and span rules of the first. The
 * average is a SpanScorer, so decodeByMarginals picks the spans as for one CRF.
 */
function ensemble(models: { model: CrfNerModel; resources: FeatureResources }[], threshold: number, maxLength = 10): SequenceTagger {
  const parts = models.map(({ model, resources: r }) => ({ model, encoder: new FeatureEncoder(planFeatures(model.templates), model.weights.attributeIds, r) }));
  const scorerOf = (i: number, words: readonly string[]): SpanScorer => {
    const { model, encoder } = parts[i]!;
    const { ids, starts, length } = encoder.encode(words);
    const L = model.weights.labels.length;
    const scores = new Float64Array(length * L);
    for (let t = 0; t < length; t++) addItemStateScores(model.weights, ids, scores, t, starts[t], starts[t + 1]);
    return spanScorer(scores, length, model.weights, model.labelEncoding);
  };
  /** The members' mean, computed up front: a member's scorer lasts only until the next spanScorer call. */
  const averaged = (words: readonly string[]): SpanScorer => {
    const key = (s: TokenSpan) => `${s.type}:${s.start}:${s.end}`;
    const union = new Map<string, TokenSpan & { probability: number }>();
    // A mean at or above the threshold has a member at or above it: the members' candidates are all there is.
    for (let i = 0; i < parts.length; i++) for (const c of scorerOf(i, words).candidates(threshold, maxLength)) union.set(key(c), { ...c, probability: 0 });
    for (let i = 0; i < parts.length; i++) {
      const member = scorerOf(i, words);
      for (const c of union.values()) c.probability += member.probability(c) / parts.length;
    }
    return {
      probability: (span) => union.get(key(span))?.probability ?? 0,
      candidates: (t) => [...union.values()].filter((c) => c.probability >= t),
    };
  };
  const first = models[0]!.model;
  return {
    version: 'ensemble', labelEncoding: first.labelEncoding, spanRules: first.spanRules, ...(first.noteLexicon ? { noteLexicon: first.noteLexicon } : {}),
    tag: (words) => first.tag(words),
    tagScored: (words): ScoredTagging => {
      if (words.length === 0) return { spans: [], confidence: () => 0 };
      const scorer = averaged(words);
      return { spans: decodeByMarginals(scorer, threshold, maxLength), confidence: (span) => scorer.probability(span) };
    },
  };
}

const thresholds = values.thresholds.split(',').map(Number);
const variants = values.variants.split(',');
const unknown = variants.filter((v) => !(v in variantSpecs));
if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${Object.keys(variantSpecs).join(', ')}`);
const scores = new Map<string, number[][]>();
const add = (key: string, r: ReturnType<typeof evaluateTagger>) => scores.set(key, [...(scores.get(key) ?? []), [r.strict.micro.f1, r.strict.disease.f1, r.strict.treatment.f1]]);
for (let fold = 0; fold < folds.length; fold++) {
  const { train, heldOut } = foldPartition(sentences, folds, fold);
  const main = await trainTagger(train, base, resources);
  add('base', evaluateTagger(main.model, heldOut));
  const others = [];
  for (const v of variants) { const o = await trainTagger(train, variantSpecs[v]!, resources); others.push(o); add(`single ${v}`, evaluateTagger(o.model, heldOut)); }
  for (const t of thresholds) add(`ensemble base+${variants.join('+')} t=${t}`, evaluateTagger(ensemble([main, ...others], t), heldOut));
  console.error(`fold ${fold + 1} done`);
  for (const [key, per] of scores) { const m = (k: number) => (per.reduce((a, b) => a + b[k]!, 0) / per.length).toFixed(4); console.error(`  ${key}: micro ${m(0)} D ${m(1)} T ${m(2)} (${per.length} folds)`); }
}
for (const [key, per] of scores) { const m = (k: number) => Number((per.reduce((a, b) => a + b[k]!, 0) / per.length).toFixed(4)); console.log(JSON.stringify({ config: key, micro: m(0), disease: m(1), treatment: m(2), perFold: per.map((p) => Number(p[0]!.toFixed(4))) })); }
