import { calibrate, type CalibrationMap } from './tagger/calibration.js';
import type { CrfWeights } from './tagger/crf-model-file.js';
import type { EntityEnricher, ScoredTagging, SequenceTagger } from './extract.js';
import type { Gazetteer } from './tagger/gazetteer.js';
import { attributeStrings, FeatureEncoder, planFeatures, type FeaturePlan } from './tagger/feature-encoder.js';
import type { FeatureResources, FeatureTemplate } from './tagger/feature-templates.js';
import type { LabelEncoding } from './tagger/label-codec.js';
import type { SpanRule } from './clinical/span-rules.js';
import { isNoteStyleText, noteLexicon as createNoteLexicon } from './clinical/note-lexicon.js';
import { spanScorer, type SpanScorer } from './tagger/span-confidence.js';
import type { KindClassifier } from './clinical/entity-kinds.js';
import type { NoteRouter } from './tagger/note-router.js';
import { decodeByMarginals, VITERBI, type SpanDecoding } from './tagger/span-decoding.js';
import { viterbi } from './tagger/viterbi.js';
import type { TokenSpan } from './tagger/label-codec.js';
import { spellCorrected } from './tagger/gazetteer.js';
import { foldDomainWeights, foldedAttributeIds } from './tagger/domains.js';
import { noteRouting } from './tagger/note-router.js';
import { kindEnricher, noteKindsFromCodes } from './clinical/entity-kinds.js';
import { brandEnricher, type BrandLexicon } from './clinical/brands.js';
import type { SectionNames } from './clinical/diagnosis-section.js';
import type { IndicationKnowledge } from './clinical/indications.js';
import { dosageEnricher } from './clinical/dosage/dosage-enricher.js';
import { NerError } from '../errors.js';

const noConfidence = (): number => 0;

/**
 * A trained CRF ready to tag: the model's weights, the feature templates it was trained with and the
 * resources they consult. Tags in JavaScript with CRFsuite's scores (each word's weights summed once per
 * distinct word, so equal up to the last bits; see FeatureEncoder.scoreStates) and its Viterbi (viterbi.ts),
 * so its labels are those CRFsuite predicts, at several times the speed of the binding.
 */
export interface CrfNerModel extends SequenceTagger {
  readonly templates: readonly FeatureTemplate[];
  /** The weights it tags with (a domain's, folded, when the model learned several). */
  readonly weights: CrfWeights;
  /** The domain whose weights it tags with; absent for a model trained without domains. */
  readonly domain?: string;
  /** The same model tagging with another of its domains' weights (evaluation of a corpus under its own policy). */
  forDomain(name: string): CrfNerModel;
  readonly decoding: SpanDecoding;
  /** The attribute strings CRFsuite is given for these words (training, and checking against the binding). */
  attributes(words: readonly string[]): string[][];
}

/** What a model consults besides its weights: the templates' resources, and what runs after tagging. */
export interface ModelResources extends FeatureResources {
  /** Decides each entity's kind (clinical/entity-kinds.ts); absent in models trained without kinds. */
  kinds?: KindClassifier | null;
  /** Picks the domain a note is tagged with (tagger/note-router.ts); absent: the model's one serving domain. */
  router?: NoteRouter | null;
}

export interface CrfNerModelParts {
  version: string;
  labelEncoding: LabelEncoding;
  templates: readonly FeatureTemplate[];
  /** As the model file holds them: with domains, every domain's attributes beside the shared ones. */
  weights: CrfWeights;
  resources: ModelResources;
  spanRules: readonly SpanRule[];
  /** Maps the CRF's span probability to observed precision (fitted out of fold at training; see calibration.ts). */
  calibration?: CalibrationMap;
  /**
   * The maps for the domains notes are routed to (all but `learnedFrom`), fitted on held-out notes tagged as the
   * product tags them: one for the CRF's spans, one for the spans the note-style lexicon pass adds (by the CRF's
   * probability of the span). Absent: `calibration` serves every domain, and a lexicon span gets the CRF's confidence.
   */
  notesCalibration?: NotesCalibration;
  /** The domain `calibration` was fitted on (the base corpus's). */
  learnedFrom?: string;
  /** How spans are decoded (span-decoding.ts); default Viterbi. */
  decoding?: SpanDecoding;
  /** false: no note-style lexicon pass (see note-lexicon.ts). */
  noteStyle?: boolean;
  /** The domains the model learned, each with the list its weights are folded with (tagger/domains.ts). */
  domains?: Readonly<Record<string, readonly string[]>>;
  /** The domain tagged with when no router picks another (default: the first domain). */
  servingDomain?: string;
  /**
   * 'served': only the weight tables serving can tag with are folded (the serving domain's and those of the
   * domains the router picks from); forDomain of another domain throws. Default 'all' (evaluation by corpus).
   */
  foldDomains?: FoldDomains;
  /** Span rules a domain applies after `spanRules`. */
  domainSpanRules?: Readonly<Record<string, readonly SpanRule[]>>;
  /** Brand names to find and map (clinical/brands.ts), read by the caller from the shipped list and the deployment's. */
  brands?: BrandLexicon;
  /** What drugs and procedures are given for (clinical/indications.ts), read by the caller from data/indications.tsv. */
  indications?: IndicationKnowledge;
  /** Names a diagnosis section's items (clinical/diagnosis-section.ts): the concept index of a serving process. */
  sectionNames?: SectionNames;
  /**
   * Record steps the serving process adds after the model's own (kinds): concept codes from the vocabularies it
   * was configured with (clinical/concept-codes/), which need the kinds.
   */
  enrichers?: readonly EntityEnricher[];
}

/** Which of a model's domains get a folded weight table when it is created (see CrfNerModelParts.foldDomains). */
export type FoldDomains = 'all' | 'served';

export interface NotesCalibration {
  spans: CalibrationMap;
  lexiconSpans: CalibrationMap;
}

/**
 * The model as served: tags with the serving domain's weights; a note is tagged with its routed domain's weights
 * when the model has a router, and each entity gets its kind when it has a kind classifier. Every domain's
 * weight table is folded when the model is created.
 */
export function createCrfNerModel(parts: CrfNerModelParts): CrfNerModel {
  const { domains } = parts;
  // Spread, the model file's lazily built dense weights become a plain property: tagging reads it at every token.
  if (!domains) return domainTagger({ ...parts, weights: { ...parts.weights } }, undefined);
  const names = Object.keys(domains);
  const serving = parts.servingDomain ?? names[0];
  if (serving === undefined || !domains[serving]) throw new NerError('NER_ERR_MODEL_CARD_INVALID', `the serving domain "${String(serving)}" is not one of the model's domains (${names.join(', ')})`);
  const { router } = parts.resources;
  const routed = router ? Object.keys(router.domains).filter((name) => domains[name]) : [];
  // A serving process tags with the serving domain's table and the routed ones: the others (the base
  // corpus's, which evaluation reads) would only take memory.
  const folded = parts.foldDomains === 'served' ? names.filter((name) => name === serving || routed.includes(name)) : names;
  const taggers = domainTaggers(parts, Object.fromEntries(folded.map((name) => [name, domains[name] as readonly string[]])));
  const forDomain = (name: string): CrfNerModel => {
    const tagger = taggers.get(name);
    if (!tagger) {
      if (domains[name]) throw new NerError('NER_ERR_INPUT_INVALID', `the model's domain "${name}" is not loaded in this process (loaded for serving: ${folded.join(', ')})`);
      throw new NerError('NER_ERR_INPUT_INVALID', `the model has no domain "${name}" (it has ${names.join(', ')})`);
    }
    return tagger;
  };
  const model = forDomain(serving);
  const route = routed.length > 0 && router ? noteRouting(router) : undefined;
  return {
    ...model,
    forDomain,
    ...(route ? { forNote: (text, sentenceWords) => forDomain(route(text, sentenceWords)) } : {}),
  };
}

/**
 * Each domain's tagger, its weights folded now onto one map of attribute names. A function of its own: the
 * model file's weights (every attribute under every domain's name, most of a loaded model's memory) must not
 * live on in a scope the taggers' closures keep.
 */
function domainTaggers(parts: CrfNerModelParts, domains: Readonly<Record<string, readonly string[]>>): Map<string, CrfNerModel> {
  const { weights: augmented, ...withoutWeights } = parts;
  const sharedIds = foldedAttributeIds(augmented, Object.values(domains));
  const shared = sharedSteps(parts);
  const taggers = new Map<string, CrfNerModel>();
  for (const [name, folded] of Object.entries(domains)) {
    taggers.set(name, domainTagger({ ...withoutWeights, weights: foldDomainWeights(augmented, folded, sharedIds) }, name, shared));
  }
  return taggers;
}

/** What every domain's tagger of one model uses alike: built once, not once per domain. */
interface SharedSteps {
  noteLexicon: Gazetteer | undefined;
  enrichers: EntityEnricher[];
}

function sharedSteps(parts: CrfNerModelParts): SharedSteps {
  const { kinds, gazetteer } = parts.resources;
  return {
    noteLexicon: parts.noteStyle === false ? undefined : createNoteLexicon(gazetteer),
    // Kinds first (the steps after read them); a brand makes its entity a drug before concept codes and dosage read the drugs.
    enrichers: [
      ...(kinds ? [kindEnricher(kinds, gazetteer)] : []),
      ...(parts.brands ? [brandEnricher(parts.brands)] : []),
      ...(parts.enrichers ?? []),
      // Codes decide a note-style note's symptom-typed diseases, so after the serving process's concept codes.
      ...(kinds && parts.enrichers?.length ? [noteKindsFromCodes((note) => isNoteStyleText(note.sentences.map((s) => s.tokens.map((t) => t.text))))] : []),
      dosageEnricher(),
    ],
  };
}

function domainTagger(parts: CrfNerModelParts, domain: string | undefined, shared: SharedSteps = sharedSteps(parts)): CrfNerModel {
  const { weights } = parts;
  const plan: FeaturePlan = planFeatures(parts.templates);
  const encoder = new FeatureEncoder(plan, weights.attributeIds, parts.resources, { weights });
  const { labels } = weights;
  const labelCount = labels.length;
  let scores = new Float64Array(64 * labelCount);

  const score = (words: readonly string[]): number => {
    const length = words.length;
    if (scores.length < length * labelCount) scores = new Float64Array(length * labelCount * 2);
    encoder.scoreStates(spellCorrected(parts.resources.gazetteer, words), scores);
    return length;
  };
  const decode = (length: number): string[] => {
    const path = viterbi(scores, length, weights);
    const tags = new Array<string>(length);
    for (let t = 0; t < length; t++) tags[t] = labels[path[t] as number] as string;
    return tags;
  };
  const tag = (words: readonly string[]): string[] => (words.length === 0 ? [] : decode(score(words)));
  const tagScored = (words: readonly string[]): ScoredTagging => {
    if (words.length === 0) return { tags: [], confidence: noConfidence };
    const length = score(words);
    // The scorer stays valid until the next tagScored call (see ScoredTagging). Decoding by marginals
    // needs no Viterbi pass.
    if (decoding.method === 'marginals') {
      const scorer = spanScorer(scores, length, weights, parts.labelEncoding);
      return { spans: decodeByMarginals(scorer, decoding.threshold, decoding.maxLength), ...calibrated(scorer) };
    }
    const tags = decode(length);
    // Span rules only reshape decoded spans, so a sentence tagged all O has none to score (unless the lexicon
    // pass may add some, which its map scores by the CRF's probability).
    if (!lexiconMap && !tags.some((t) => t !== 'O')) return { tags, confidence: noConfidence };
    return { tags, ...calibrated(spanScorer(scores, length, weights, parts.labelEncoding)) };
  };
  // Methods, not arrow functions in properties: a sentence's confidences are built for every sentence tagged.
  const calibrated = (scorer: SpanScorer): { confidence(span: TokenSpan): number; lexiconConfidence?(span: TokenSpan): number } =>
    lexiconMap
      ? {
          confidence(span) {
            return calibrate(spanMap, scorer.probability(span));
          },
          lexiconConfidence(span) {
            return calibrate(lexiconMap, scorer.probability(span));
          },
        }
      : {
          confidence(span) {
            return calibrate(spanMap, scorer.probability(span));
          },
        };
  const notes = parts.notesCalibration && (parts.learnedFrom === undefined || domain !== parts.learnedFrom) ? parts.notesCalibration : undefined;
  const spanMap = notes?.spans ?? parts.calibration;
  const lexiconMap = notes?.lexiconSpans;

  const decoding = parts.decoding ?? VITERBI;
  const { noteLexicon, enrichers } = shared;
  const lexicon = noteLexicon ?? parts.resources.gazetteer ?? undefined;
  const self: CrfNerModel = {
    ...(noteLexicon ? { noteLexicon } : {}),
    ...(lexicon ? { lexicon } : {}),
    ...(parts.brands ? { brands: parts.brands } : {}),
    ...(parts.indications ? { indications: parts.indications } : {}),
    ...(parts.sectionNames ? { sectionNames: parts.sectionNames } : {}),
    enrichers,
    ...(domain === undefined ? {} : { domain }),
    version: parts.version,
    labelEncoding: parts.labelEncoding,
    spanRules: domain !== undefined && parts.domainSpanRules?.[domain] ? [...parts.spanRules, ...(parts.domainSpanRules[domain] as readonly SpanRule[])] : parts.spanRules,
    templates: parts.templates,
    weights,
    decoding,
    tag,
    tagScored,
    attributes: (words) => attributeStrings(plan, spellCorrected(parts.resources.gazetteer, words), parts.resources),
    // A model without domains tags every corpus with its one table.
    forDomain: (name) => {
      if (domain === undefined || name === domain) return self;
      throw new NerError('NER_ERR_INPUT_INVALID', `the model has no domain "${name}"`);
    },
  };
  return self;
}
