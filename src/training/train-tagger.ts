import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCrfNerModel, type CrfNerModel, type ModelResources, type NotesCalibration } from '../core/crf-ner-model.js';
import { parseCrfsuiteModel, withStateWeightOffsets } from '../core/tagger/crf-model-file.js';
import { trainCrf, type EntityBias, type TrainingSequence } from '../core/tagger/crfsuite-binding.js';
import { goldFromLabeled, evaluate, type EvaluationReport } from '../core/evaluation/evaluation.js';
import { attributeStrings, BIAS_ATTRIBUTE, planFeatures } from '../core/tagger/feature-encoder.js';
import { spellCorrected } from '../core/tagger/gazetteer.js';
import { learnPosLexicon, resolveTemplates, type FeatureResources } from '../core/tagger/feature-templates.js';
import { encodeLabels, encodeSpans, labelsFromSpans } from '../core/tagger/label-codec.js';
import { domainAttribute, withDomainAttributes } from '../core/tagger/domains.js';
import { NerError } from '../errors.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';
import { resolveDomainSpanRules, resolveSpanRules } from '../core/clinical/span-rules.js';
import type { LabeledSentence } from '../core/text/types.js';
import { outOfFoldRelevance, type RelevanceModels } from '../core/tagger/sentence-relevance.js';
import { tagScoredSpans, type ScoredSpan, type SequenceTagger } from '../core/extract.js';
import { outOfFoldSpanLexicon, type SpanLexicon } from '../core/tagger/span-lexicon.js';

export interface TrainedTagger {
  model: CrfNerModel;
  /** The CRFsuite model file's bytes, to be saved as a model version. */
  crfBytes: Buffer;
  /** The resources the model consults, including those learned here from the training sentences. */
  resources: FeatureResources;
}

/**
 * Resources learned from the training sentences themselves, so that in cross-validation a fold's held-out
 * sentences never shape them: the part-of-speech lexicon, the relevance classifiers and the span lexicon
 * (per sentence, the variant its attributes are computed with, learned out of fold, and the full one the
 * tagger ships with).
 */
function learnedResources(
  sentences: readonly LabeledSentence[],
  spec: TrainingSpec,
  external: FeatureResources,
): { perSentence: (i: number) => FeatureResources; final: FeatureResources } {
  const resources = spec.templates.includes('pos-lexicon') ? { ...external, posLexicon: learnPosLexicon(sentences.map((s) => s.tokens)) } : external;
  // The relevance classifiers and the span lexicon model one annotation policy: they learn from its sentences
  // (out of fold), and every other sentence is given the ones learned from all of them.
  const learnedFrom = sentences.map((s, i) => (spec.learnedFrom === undefined || s.domain === spec.learnedFrom ? i : -1)).filter((i) => i >= 0);
  const position = new Map(learnedFrom.map((i, k) => [i, k]));
  const examples = learnedFrom.map((i) => {
    const s = sentences[i] as LabeledSentence;
    return { lowerWords: s.tokens.map((t) => t.toLowerCase()), labels: s.labels };
  });
  const learnedRelevance = spec.templates.some((t) => t.includes('relevance')) ? outOfFoldRelevance(examples) : null;
  const learnedSpans = spec.templates.some((t) => t.startsWith('train-spans')) ? outOfFoldSpanLexicon(examples) : null;
  const relevance = learnedRelevance && { full: learnedRelevance.full, perSentence: sentences.map((_, i) => learnedRelevance.perSentence[position.get(i) ?? -1] ?? learnedRelevance.full) };
  const spans = learnedSpans && { full: learnedSpans.full, perSentence: sentences.map((_, i) => learnedSpans.perSentence[position.get(i) ?? -1] ?? learnedSpans.full) };
  if (!relevance && !spans) return { perSentence: () => resources, final: resources };
  const variants = new Map<RelevanceModels | SpanLexicon | null, Map<RelevanceModels | SpanLexicon | null, FeatureResources>>();
  const variant = (i: number): FeatureResources => {
    const r = relevance?.perSentence[i] ?? null;
    const l = spans?.perSentence[i] ?? null;
    let byLexicon = variants.get(r);
    if (!byLexicon) variants.set(r, (byLexicon = new Map()));
    let found = byLexicon.get(l);
    if (!found) {
      found = { ...resources, ...(r ? { relevance: r } : {}), ...(l ? { spanLexicon: l } : {}) };
      byLexicon.set(l, found);
    }
    return found;
  };
  return {
    perSentence: variant,
    final: { ...resources, ...(relevance ? { relevance: relevance.full } : {}), ...(spans ? { spanLexicon: spans.full } : {}) },
  };
}

export function trainingSequences(
  sentences: readonly LabeledSentence[],
  spec: TrainingSpec,
  resources: FeatureResources,
): { sequences: TrainingSequence[]; resources: FeatureResources } {
  const plan = planFeatures(resolveTemplates(spec.templates));
  const learned = learnedResources(sentences, spec, resources);
  const sequences = sentences.map((s, i) => ({
    attributes: withDomainAttributes(attributeStrings(plan, spellCorrected(resources.gazetteer, s.tokens), learned.perSentence(i)), domainsOf(spec, s.domain)),
    labels: s.spans ? encodeSpans(s.tokens.length, s.spans, spec.labelEncoding) : encodeLabels(s.labels, spec.labelEncoding),
  }));
  return { sequences, resources: learned.final };
}

/** Trains a CRF on the sentences and returns it loaded through our own reader, as production loads it. */
export async function trainTagger(
  sentences: readonly LabeledSentence[],
  spec: TrainingSpec,
  resources: FeatureResources,
  options: { version?: string; log?: boolean } = {},
): Promise<TrainedTagger> {
  const workDir = await mkdtemp(join(tmpdir(), 'behealthy-train-'));
  try {
    const crfPath = join(workDir, 'model.crfsuite');
    const { sequences, resources: final } = trainingSequences(sentences, spec, resources);
    trainCrf(sequences, spec.parameters, crfPath, { log: options.log ?? false });
    const crfBytes = withEntityBias(await readFile(crfPath), spec.parameters.entityBias, entityBiasAttribute(spec));
    return { model: modelFromBytes(crfBytes, spec, final, options.version ?? 'candidate'), crfBytes, resources: final };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * The model file with the entity bias added to the bias weight of each entity label (D, B-D, I-D by the
 * disease bias; T, B-T, I-T by the treatment bias; see TrainingParameters); a label whose bias weight L1
 * zeroed (tiny training sets only) keeps its scores.
 */
export function withEntityBias(crfBytes: Buffer, bias: EntityBias | number, attribute = BIAS_ATTRIBUTE): Buffer {
  const { D, T } = typeof bias === 'number' ? { D: bias, T: bias } : bias;
  if (D === 0 && T === 0) return crfBytes;
  const offsets = new Map<string, number>();
  for (const label of parseCrfsuiteModel(crfBytes).labels) {
    if (label === 'D' || label.endsWith('-D')) offsets.set(label, D);
    if (label === 'T' || label.endsWith('-T')) offsets.set(label, T);
  }
  return Buffer.from(withStateWeightOffsets(crfBytes, attribute, offsets).bytes);
}

/**
 * The attribute the entity bias is added to: `bias`, or with domains the base corpus's own (its recall bias is
 * chosen by cross-validation on it and must not shift the other domains' decisions).
 */
export function entityBiasAttribute(spec: Pick<TrainingSpec, 'domains' | 'learnedFrom'>): string {
  return spec.domains && spec.learnedFrom ? domainAttribute(spec.learnedFrom, BIAS_ATTRIBUTE) : BIAS_ATTRIBUTE;
}

/** The domains a sentence of `domain` is learned under, as the spec declares them (none without domains). */
export function domainsOf(spec: Pick<TrainingSpec, 'domains'>, domain: string | undefined): string[] {
  if (!spec.domains || domain === undefined) return [];
  const domains = spec.domains[domain];
  if (!domains) throw new NerError('NER_ERR_TRAINING_FAILED', `no domains declared for sentences of domain "${domain}" (the spec knows ${Object.keys(spec.domains).join(', ')})`);
  return domains;
}

/** Maps that leave a probability as it is: notes' entities, lexicon spans included, carry their raw probability. */
export const RAW_NOTES_CONFIDENCE: NotesCalibration = {
  spans: { method: 'isotonic', knots: [], observations: 0 },
  lexiconSpans: { method: 'isotonic', knots: [], observations: 0 },
};

/** The tagger of a trained model: for sentences of `domain` when given (its weights folded with that domain's), else as served. */

export function modelFromBytes(crfBytes: Uint8Array, spec: TrainingSpec, resources: ModelResources, version: string, domain?: string, notesCalibration?: NotesCalibration): CrfNerModel {
  const model = createCrfNerModel({
    ...(notesCalibration ? { notesCalibration } : {}),
    version,
    labelEncoding: spec.labelEncoding,
    templates: resolveTemplates(spec.templates),
    weights: parseCrfsuiteModel(crfBytes),
    resources,
    spanRules: resolveSpanRules(spec.spanRules),
    ...(spec.decoding ? { decoding: spec.decoding } : {}),
    ...(spec.domains ? { domains: spec.domains } : {}),
    ...(spec.servingDomain ? { servingDomain: spec.servingDomain } : {}),
    ...(spec.domainSpanRules ? { domainSpanRules: resolveDomainSpanRules(spec.domainSpanRules) } : {}),
  });
  return domain === undefined ? model : model.forDomain(domain);
}

/**
 * Tags every sentence (gold tokens) and scores the predictions against the gold labels; `observe`, when given,
 * sees each sentence's predicted spans (cross-validation counts them for the drift profile).
 */
export function evaluateTagger(
  tagger: SequenceTagger,
  sentences: readonly LabeledSentence[],
  observe?: (sentence: LabeledSentence, spans: ScoredSpan[]) => void,
): EvaluationReport {
  const predicted = sentences.map((s) => {
    const spans = tagScoredSpans(tagger, s.tokens, s.noteStyle ? { noteStyle: true } : {});
    observe?.(s, spans);
    return { spans, labels: labelsFromSpans(s.tokens.length, spans) };
  });
  return evaluate(goldFromLabeled([...sentences]), predicted);
}
