import { NerError } from '../errors.js';
import { LABEL_ENCODINGS, type LabelEncoding } from '../core/tagger/label-codec.js';
import type { EntityBias, TrainingParameters } from '../core/tagger/crfsuite-binding.js';
import type { CalibrationMap, ReliabilityTable } from '../core/tagger/calibration.js';
import { isSpanDecoding, type SpanDecoding } from '../core/tagger/span-decoding.js';
import { trainingProfileProblem, type TrainingProfile } from '../core/evaluation/drift.js';
import type { AveragedReport, EvaluationReport, MeanSd } from '../core/evaluation/evaluation.js';
import type { DocumentReport } from '../core/evaluation/document-scores.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';

/** sha256 and size of a file, so a model file is verified before the CRFsuite binding ever sees it. */
export interface FileDigest {
  path: string;
  sha256: string;
  bytes: number;
}

/** A training-data file: its name and the sha256 of its bytes. */
export interface DataFileDigest {
  path: string;
  sha256: string;
}

export type MetricsSummary = Pick<EvaluationReport, 'strict' | 'partial' | 'token'>;

export interface ModelCard {
  schemaVersion: 1;
  version: string;
  created: string;
  gitCommit: string | null;
  description: string;
  labelEncoding: LabelEncoding;
  templates: string[];
  /** Span repairs after decoding, in order (absent in cards written before they existed: none). */
  spanRules?: string[];
  /** How spans are decoded (core/tagger/span-decoding.ts); absent in cards of Viterbi models written before it existed. */
  decoding?: SpanDecoding;
  /** The corpora trained on, by mapping name (corpus/mappings/); absent: the BeHealthy train split alone. */
  corpora?: string[];
  /** Feature augmentation: each domain's folded list (core/tagger/domains.ts); absent: a model without domains. */
  domains?: Record<string, string[]>;
  /** The domain a note is tagged with when the router (if any) picks none of its own. */
  servingDomain?: string;
  /** The domain whose sentences the relevance classifiers and train-spans lexicon learned from. */
  learnedFrom?: string;
  /** Span rules a domain applies after `spanRules`. */
  domainSpanRules?: Record<string, string[]>;
  trainingParameters: TrainingParameters;
  data: {
    corpus: string;
    split: string;
    sentences: number;
    tokens: number;
    /** sha256 of every training-data file (corpus and lexicons), and one digest over all of them. */
    files: DataFileDigest[];
    sha256: string;
  };
  /** The CRFsuite file and the resource files its templates consult (gazetteer, clusters). */
  files: { model: FileDigest; resources: FileDigest[] };
  metrics: {
    crossValidation: {
      folds: number;
      seed: number;
      /** At the chosen training parameters (entity bias included). */
      mean: AveragedReport;
      entityBiasSearch: { entityBias: EntityBias; strictMicroF1: { mean: number; sd: number } }[];
    } | null;
    test: MetricsSummary | null;
    /** Each other corpus's dev split, scored by character offsets (core/evaluation/document-scores.ts). */
    corpora?: Record<string, CardCorpusScores>;
  };
  environment: { node: string; crfsuite: string };
  /** The train split profiled for drift checks (core/evaluation/drift.ts); absent in cards written before it existed. */
  trainingProfile?: TrainingProfile;
  /**
   * Entity confidence calibration (core/tagger/calibration.ts), fitted on the cross-validation folds' held-out
   * predictions, with the reliability tables it was judged by. Without it confidences are the raw marginals.
   */
  calibration?: CardCalibration;
  /**
   * The calibration of notes' entities: CRF spans in the domains notes are routed to, and spans the note-style
   * lexicon pass adds, fitted on held-out documents (training/notes-calibration.ts).
   */
  notesCalibration?: CardNotesCalibration;
}

export interface CardCorpusScores {
  split: 'dev';
  /** The final model, the corpus's own domain. */
  final: Omit<DocumentReport, 'errors'>;
  /** The final model as the product tags notes (the router picks each note's domain). */
  routed?: Omit<DocumentReport, 'errors'>;
  /** Strict F1 of the cross-validation folds' models on the same documents, mean ± sd. */
  foldsStrictF1?: { disease: MeanSd; treatment: MeanSd; micro: MeanSd };
}

export interface CardCalibration {
  map: CalibrationMap;
  folds: number;
  seed: number;
  /** Reliability of the raw span marginals, and of calibrated ones (each fold calibrated by the other folds' map). */
  reliability: { raw: ReliabilityTable; calibrated: ReliabilityTable };
}

export interface CardNotesCalibration {
  spans: CalibrationMap;
  lexiconSpans: CalibrationMap;
  /** Documents fitted on. */
  documents: number;
  /** Raw, and calibrated by the map of the other half of the documents. */
  reliability: {
    spans: { raw: ReliabilityTable; calibrated: ReliabilityTable };
    lexiconSpans: { raw: ReliabilityTable; calibrated: ReliabilityTable };
  };
}

function fail(file: string, message: string): never {
  throw new NerError('NER_ERR_MODEL_CARD_INVALID', message, { file });
}

function isDigest(value: unknown): value is FileDigest {
  const d = value as FileDigest;
  return typeof d === 'object' && d !== null && typeof d.path === 'string' && /^[0-9a-f]{64}$/.test(d.sha256) && Number.isInteger(d.bytes);
}

/**
 * The card as written to model-card.json: indented JSON, but the training profile's vocabulary (a few
 * thousand word counts) on one line rather than one line per word.
 */
export function formatModelCard(card: ModelCard): string {
  const profile = card.trainingProfile;
  if (!profile) return `${JSON.stringify(card, null, 2)}\n`;
  const marker = '<vocabulary words>';
  const text = JSON.stringify({ ...card, trainingProfile: { ...profile, vocabulary: { ...profile.vocabulary, words: marker } } }, null, 2);
  return `${text.replace(JSON.stringify(marker), () => JSON.stringify(profile.vocabulary.words))}\n`;
}

/** Checks the fields the loader relies on; the rest is informative and passes through. */
export function parseModelCard(json: string, file: string): ModelCard {
  let card: ModelCard;
  try {
    card = JSON.parse(json) as ModelCard;
  } catch (cause) {
    throw new NerError('NER_ERR_MODEL_CARD_INVALID', `not valid JSON: ${(cause as Error).message}`, { file });
  }
  if (typeof card !== 'object' || card === null) fail(file, 'expected a JSON object');
  if (card.schemaVersion !== 1) fail(file, `unsupported schemaVersion ${String(card.schemaVersion)} (this code reads 1)`);
  if (typeof card.version !== 'string' || card.version.length === 0) fail(file, 'missing "version"');
  if (!LABEL_ENCODINGS.includes(card.labelEncoding)) fail(file, `"labelEncoding" must be one of ${LABEL_ENCODINGS.join(', ')}`);
  if (!Array.isArray(card.templates) || !card.templates.every((t) => typeof t === 'string')) fail(file, '"templates" must be a list of names');
  if (card.spanRules !== undefined && !(Array.isArray(card.spanRules) && card.spanRules.every((t) => typeof t === 'string'))) fail(file, '"spanRules" must be a list of names');
  if (typeof card.files !== 'object' || card.files === null || !isDigest(card.files.model)) fail(file, '"files.model" must be { path, sha256, bytes }');
  if (!Array.isArray(card.files.resources) || !card.files.resources.every(isDigest)) fail(file, '"files.resources" must be a list of { path, sha256, bytes }');
  if (card.domains !== undefined && !(typeof card.domains === 'object' && card.domains !== null && Object.values(card.domains).every((list) => Array.isArray(list) && list.every((d) => typeof d === 'string')))) {
    fail(file, '"domains" must map each domain to the list of domains its weights are folded with');
  }
  if (card.servingDomain !== undefined && !(card.domains && card.servingDomain in card.domains)) fail(file, '"servingDomain" must be one of "domains"');
  if (card.decoding !== undefined && !isSpanDecoding(card.decoding)) fail(file, '"decoding" must be { method: "viterbi" } or { method: "marginals", threshold: 0..1, maxLength: N }');
  if (card.notesCalibration !== undefined && !(isCalibrationMap(card.notesCalibration?.spans) && isCalibrationMap(card.notesCalibration?.lexiconSpans))) {
    fail(file, '"notesCalibration.spans" and ".lexiconSpans" must be calibration maps { method: "isotonic", knots: [[raw, calibrated], …] }');
  }
  if (card.calibration !== undefined && !isCalibrationMap(card.calibration?.map)) fail(file, '"calibration.map" must be { method: "isotonic", knots: [[raw, calibrated], …] } with knots in [0, 1], raw increasing');
  if (card.trainingProfile !== undefined) {
    const problem = trainingProfileProblem(card.trainingProfile);
    if (problem) fail(file, `"trainingProfile": ${problem}`);
  }
  return card;
}

function isCalibrationMap(map: unknown): map is CalibrationMap {
  if (typeof map !== 'object' || map === null) return false;
  const { method, knots } = map as Partial<CalibrationMap>;
  if (method !== 'isotonic' || !Array.isArray(knots)) return false;
  return knots.every(
    (knot, k) =>
      Array.isArray(knot) && knot.length === 2 && knot.every((x) => typeof x === 'number' && x >= 0 && x <= 1) && (k === 0 || (knots[k - 1] as number[])[0]! <= knot[0]!),
  );
}

/** The training spec a model card records: a challenger (or an experiment) is trained exactly as the card's model was. */
export function specOfCard(card: ModelCard): TrainingSpec {
  return {
    templates: [...card.templates], spanRules: [...(card.spanRules ?? [])], labelEncoding: card.labelEncoding, parameters: card.trainingParameters,
    ...(card.decoding ? { decoding: card.decoding } : {}),
    ...(card.corpora ? { corpora: [...card.corpora] } : {}),
    ...(card.domains ? { domains: card.domains } : {}),
    ...(card.servingDomain ? { servingDomain: card.servingDomain } : {}),
    ...(card.learnedFrom ? { learnedFrom: card.learnedFrom } : {}),
    ...(card.domainSpanRules ? { domainSpanRules: card.domainSpanRules } : {}),
  };
}
