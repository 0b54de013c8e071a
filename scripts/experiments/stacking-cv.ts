/**
 * Whether stacking pays: a second CRF given, besides the production templates, what a first CRF of the
 * production configuration found (its span labels around each token and which types it found in the
 * sentence). k-fold cross-validation on the train split only (never the test split); inside each fold the
 * first CRF's labels for the fold's training sentences come from an inner k-fold (out of fold), as they
 * would for unseen text.
 *   node --import tsx scripts/experiments/stacking-cv.ts [--folds 5] [--inner 5] [--only 0,1] [--features window,sentence]
 * Trains inner + 2 CRFs per fold (about a minute each). Prints one JSON line per fold and configuration.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { productionFolds } from './production-folds.js';
import { parseCrfsuiteModel } from '../../src/core/tagger/crf-model-file.js';
import { trainCrf } from '../../src/core/tagger/crfsuite-binding.js';
import { tagScoredSpans, type SequenceTagger } from '../../src/core/extract.js';
import { attributeStrings, planFeatures } from '../../src/core/tagger/feature-encoder.js';
import { resolveTemplates, type FeatureResources } from '../../src/core/tagger/feature-templates.js';
import { foldPartition, kFoldIndices } from '../../src/core/text/folds.js';
import { labelsFromSpans } from '../../src/core/tagger/label-codec.js';
import { spanScorer } from '../../src/core/tagger/span-confidence.js';
import { decodeByMarginals } from '../../src/core/tagger/span-decoding.js';
import { resolveSpanRules } from '../../src/core/clinical/span-rules.js';
import type { CorpusLabel, LabeledSentence } from '../../src/core/text/types.js';
import { addItemStateScores, attributeKey } from '../../src/core/tagger/viterbi.js';
import { evaluateTagger, trainingSequences, trainTagger, withEntityBias } from '../../src/training/train-tagger.js';

const { values } = parseArgs({ options: { folds: { type: 'string', default: '5' }, inner: { type: 'string', default: '5' }, only: { type: 'string' }, features: { type: 'string', default: 'window,sentence' } } });
const { spec, resources: fixed, sentences, folds } = await productionFolds(Number(values.folds));
const kinds = new Set(values.features.split(','));

/** The first CRF's labels for each sentence (D / T / O per token, from its decoded spans). */
function firstLabels(tagger: SequenceTagger, sentence: LabeledSentence): CorpusLabel[] {
  return labelsFromSpans(sentence.tokens.length, tagScoredSpans(tagger, sentence.tokens));
}

/** The stacked attributes of each token, appended after the production ones. */
function stackedAttributes(labels: readonly CorpusLabel[]): string[][] {
  const found = [...new Set(labels.filter((l) => l !== 'O'))].sort().join('') || 'none';
  return labels.map((_, i) => {
    const out: string[] = [];
    if (kinds.has('window')) for (const o of [-2, -1, 0, 1, 2]) out.push(`s1[${o}]=${labels[i + o] ?? (i + o < 0 ? '<s>' : '</s>')}`);
    if (kinds.has('sentence')) {
      out.push(`s1sent=${found}`);
      out.push(`s1sent|s1[0]=${found}|${labels[i]}`);
    }
    if (kinds.has('bio')) {
      const l = labels[i] as CorpusLabel;
      out.push(`s1bio=${l === 'O' ? 'O' : labels[i - 1] === l ? `I-${l}` : `B-${l}`}`);
    }
    return out;
  });
}

const only = values.only ? values.only.split(',').map(Number) : folds.map((_, i) => i);
for (const fold of only) {
  const { train, heldOut } = foldPartition(sentences, folds, fold);
  const started = performance.now();
  // Out-of-fold first-stage labels for the fold's training sentences.
  const inner = kFoldIndices(train.length, Number(values.inner), 7);
  const trainLabels: CorpusLabel[][] = new Array(train.length);
  for (let k = 0; k < inner.length; k++) {
    const part = foldPartition(train, inner, k);
    const first = await trainTagger(part.train, spec, fixed);
    for (const i of inner[k] as number[]) trainLabels[i] = firstLabels(first.model, train[i] as LabeledSentence);
  }
  const first = await trainTagger(train, spec, fixed);
  const base = evaluateTagger(first.model, heldOut);
  const heldOutLabels = heldOut.map((s) => firstLabels(first.model, s));

  // Second stage: the production attributes plus the stacked ones.
  const { sequences, resources } = trainingSequences(train, spec, fixed);
  sequences.forEach((seq, i) => {
    const extra = stackedAttributes(trainLabels[i] as CorpusLabel[]);
    seq.attributes = seq.attributes.map((attrs, t) => [...attrs, ...(extra[t] as string[])]);
  });
  const dir = await mkdtemp(join(tmpdir(), 'stacking-'));
  const path = join(dir, 'model.crfsuite');
  trainCrf(sequences, spec.parameters, path);
  const weights = parseCrfsuiteModel(withEntityBias(await readFile(path), spec.parameters.entityBias));
  await rm(dir, { recursive: true, force: true });
  const plan = planFeatures(resolveTemplates(spec.templates));
  const L = weights.labels.length;
  const threshold = spec.decoding?.method === 'marginals' ? spec.decoding.threshold : 0.25;
  const maxLength = spec.decoding?.method === 'marginals' ? spec.decoding.maxLength : 10;
  let current: CorpusLabel[] = [];
  const scoresOf = (words: readonly string[], r: FeatureResources) => {
    const extra = stackedAttributes(current);
    const attrs = attributeStrings(plan, words, r).map((a, t) => [...a, ...(extra[t] as string[])]);
    const scores = new Float64Array(words.length * L);
    attrs.forEach((a, t) => {
      const ids = a.map((x) => weights.attributeIds.get(attributeKey(x)) ?? -1);
      addItemStateScores(weights, ids, scores, t);
    });
    return scores;
  };
  const second: SequenceTagger = {
    version: 'stacked', labelEncoding: spec.labelEncoding, spanRules: resolveSpanRules(spec.spanRules),
    tag: () => { throw new Error('unused'); },
    tagScored: (words) => {
      const scorer = spanScorer(scoresOf(words, resources), words.length, weights, spec.labelEncoding);
      const spans = decodeByMarginals(scorer, threshold, maxLength);
      return { spans, confidence: (s) => scorer.probability(s) };
    },
  };
  // evaluateTagger tags the sentences once each, in order: `current` follows it.
  let next = 0;
  const stacked: SequenceTagger = { ...second, tagScored: (words) => { current = heldOutLabels[next++] as CorpusLabel[]; return (second.tagScored as NonNullable<SequenceTagger['tagScored']>)(words); } };
  const stackedReport = evaluateTagger(stacked, heldOut);
  const f = (r: typeof base) => ({ micro: Number(r.strict.micro.f1.toFixed(4)), disease: Number(r.strict.disease.f1.toFixed(4)), treatment: Number(r.strict.treatment.f1.toFixed(4)) });
  console.log(JSON.stringify({ fold, features: [...kinds], first: f(base), stacked: f(stackedReport), seconds: Math.round((performance.now() - started) / 1000) }));
}
