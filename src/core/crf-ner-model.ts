import { calibrate, type CalibrationMap } from './tagger/calibration.js';
import type { CrfWeights } from './tagger/crf-model-file.js';
import type { ScoredTagging, SequenceTagger } from './extract.js';
import { attributeStrings, FeatureEncoder, planFeatures, type FeaturePlan } from './tagger/feature-encoder.js';
import type { FeatureResources, FeatureTemplate } from './tagger/feature-templates.js';
import type { LabelEncoding } from './tagger/label-codec.js';
import type { SpanRule } from './clinical/span-rules.js';
import { noteLexicon as createNoteLexicon } from './clinical/note-lexicon.js';
import { spanScorer } from './tagger/span-confidence.js';
import { decodeByMarginals, VITERBI, type SpanDecoding } from './tagger/span-decoding.js';
import { viterbi } from './tagger/viterbi.js';

/**
 * A trained CRF ready to tag: the model's weights, the feature templates it was trained with and the
 * resources they consult. Tags in JavaScript with CRFsuite's scores (each word's weights summed once per
 * distinct word, so equal up to the last bits; see FeatureEncoder.scoreStates) and its Viterbi (viterbi.ts),
 * so its labels are those CRFsuite predicts, at several times the speed of the binding.
 */
export interface CrfNerModel extends SequenceTagger {
  readonly templates: readonly FeatureTemplate[];
  readonly weights: CrfWeights;
  readonly decoding: SpanDecoding;
  /** The attribute strings CRFsuite is given for these words (training, and checking against the binding). */
  attributes(words: readonly string[]): string[][];
}

export interface CrfNerModelParts {
  version: string;
  labelEncoding: LabelEncoding;
  templates: readonly FeatureTemplate[];
  weights: CrfWeights;
  resources: FeatureResources;
  spanRules: readonly SpanRule[];
  /** Maps the CRF's span probability to observed precision (fitted out of fold at training; see calibration.ts). */
  calibration?: CalibrationMap;
  /** How spans are decoded (span-decoding.ts); default Viterbi. */
  decoding?: SpanDecoding;
  /** false: no note-style lexicon pass (see note-lexicon.ts). */
  noteStyle?: boolean;
}

export function createCrfNerModel(parts: CrfNerModelParts): CrfNerModel {
  const plan: FeaturePlan = planFeatures(parts.templates);
  const encoder = new FeatureEncoder(plan, parts.weights.attributeIds, parts.resources, { weights: parts.weights });
  const { labels } = parts.weights;
  const labelCount = labels.length;
  let scores = new Float64Array(64 * labelCount);

  const score = (words: readonly string[]): number => {
    const length = words.length;
    if (scores.length < length * labelCount) scores = new Float64Array(length * labelCount * 2);
    encoder.scoreStates(words, scores);
    return length;
  };
  const decode = (length: number): string[] => {
    const path = viterbi(scores, length, parts.weights);
    const tags = new Array<string>(length);
    for (let t = 0; t < length; t++) tags[t] = labels[path[t] as number] as string;
    return tags;
  };
  const tag = (words: readonly string[]): string[] => (words.length === 0 ? [] : decode(score(words)));
  const tagScored = (words: readonly string[]): ScoredTagging => {
    if (words.length === 0) return { tags: [], confidence: () => 0 };
    const length = score(words);
    // The scorer stays valid until the next tagScored call (see ScoredTagging). Decoding by marginals
    // needs no Viterbi pass.
    if (decoding.method === 'marginals') {
      const scorer = spanScorer(scores, length, parts.weights, parts.labelEncoding);
      return { spans: decodeByMarginals(scorer, decoding.threshold, decoding.maxLength), confidence: (span) => calibrate(parts.calibration, scorer.probability(span)) };
    }
    const tags = decode(length);
    // Span rules only reshape decoded spans, so a sentence tagged all O has none to score.
    if (!tags.some((t) => t !== 'O')) return { tags, confidence: () => 0 };
    const scorer = spanScorer(scores, length, parts.weights, parts.labelEncoding);
    return { tags, confidence: (span) => calibrate(parts.calibration, scorer.probability(span)) };
  };

  const decoding = parts.decoding ?? VITERBI;
  const noteLexicon = parts.noteStyle === false ? undefined : createNoteLexicon(parts.resources.gazetteer);
  const lexicon = noteLexicon ?? parts.resources.gazetteer ?? undefined;
  return {
    ...(noteLexicon ? { noteLexicon } : {}),
    ...(lexicon ? { lexicon } : {}),
    version: parts.version,
    labelEncoding: parts.labelEncoding,
    spanRules: parts.spanRules,
    templates: parts.templates,
    weights: parts.weights,
    decoding,
    tag,
    tagScored,
    attributes: (words) => attributeStrings(plan, words, parts.resources),
  };
}
