import { crossFittedReliability, fitIsotonic, reliabilityTable, type ConfidenceObservation } from '../core/tagger/calibration.js';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { EntityBias, TrainingProgress } from '../core/tagger/crfsuite-binding.js';
import { buildTrainingProfile } from '../core/evaluation/drift.js';
import type { LabeledSentence } from '../core/text/types.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { parseResources, readResourceFiles, serializeResources, writeResourceFiles } from '../corpus/resource-files.js';
import { buildResources } from './build-resources.js';
import { gitCommit, runEnvironment } from '../registry/run-environment.js';
import type { CardCalibration, CardCorpusScores, CardNotesCalibration, DataFileDigest, ModelCard } from '../registry/model-card.js';
import { MODEL_FILE, nextVersionName, saveModel } from '../registry/model-store.js';
import { crossValidate, type CrossValidationResult } from './cross-validate.js';
import { evaluateTagger, modelFromBytes, RAW_NOTES_CONFIDENCE } from './train-tagger.js';
import { fitNotesCalibration } from './notes-calibration.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';
import { runTrainingJob, type FoldReport } from './training-process.js';
import { meanAndSd, type EvaluationReport } from '../core/evaluation/evaluation.js';
import type { DocumentReport } from '../core/evaluation/document-scores.js';
import { corpusMappings, domainsOfCorpora, EVERY_MENTION, guidelineRulesOfCorpora, readTrainingCorpora, trainKinds, trainRouter } from './training-corpora.js';
import { devSetOf, evaluateDevSet } from './dev-evaluation.js';

/**
 * A full training run: cross-validation on the train split (the only thing hyper-parameters may be
 * chosen on), a final model on the whole train split, its score on the test split (reported, never
 * tuned on), and a new model version with its card.
 */
export interface TrainModelVersionRequest {
  corpusDir: string;
  /** Where the corpora of spec.corpora are (CORPORA_DIR); needed when the spec names corpora. */
  corporaDir?: string;
  lexiconDir: string;
  notesFile: string;
  modelDir: string;
  spec: TrainingSpec;
  folds: number;
  seed: number;
  evaluateTest: boolean;
  /** 'auto': chosen by cross-validation from ENTITY_BIAS_GRID (none without cross-validation). */
  entityBias: EntityBias | 'auto';
  version?: string;
  description?: string;
  /** Sentences trained on besides the train split (retraining: reviewers' corrections), and their files' digests. */
  extraTraining?: { sentences: LabeledSentence[]; files: DataFileDigest[] };
  /**
   * A model version's directory whose resource files (gazetteer, clusters, part-of-speech lexicon) are reused
   * instead of built, with the digests of the data they were built from (its card's data files).
   */
  reuseResources?: { dir: string; dataFiles: DataFileDigest[] };
  /** Cross-validation already run on exactly this data and spec (a retraining's challenger): not run again. */
  crossValidation?: CrossValidationResult;
}

const BIAS_STEPS = [0, 0.125, 0.25, 0.375, 0.5];
/** The recall biases cross-validation tries when the entity bias is 'auto': every disease × treatment pair. */
export const ENTITY_BIAS_GRID: EntityBias[] = BIAS_STEPS.flatMap((D) => BIAS_STEPS.map((T) => ({ D, T })));

export interface TrainModelVersionEvents {
  onStage?(stage: string): void;
  onFold?(report: FoldReport, done: number, total: number): void;
  onIteration?(progress: TrainingProgress): void;
}

export interface TrainModelVersionResult {
  card: ModelCard;
  crossValidation: CrossValidationResult | null;
  test: EvaluationReport | null;
  /** Each other corpus's dev documents scored by the final model, under its own domain and as the product routes them. */
  dev: CorpusDevScores[];
}

export interface CorpusDevScores {
  corpus: string;
  own: DocumentReport;
  routed: DocumentReport | null;
}

/** One digest over the training-data files' names and digests: the card's `data.sha256`. */
export function combinedDigest(files: readonly DataFileDigest[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${basename(file.path)} ${file.sha256}\n`);
  return hash.digest('hex');
}

/** Tokens in sentences (the card's and a run's data size). */
export function tokenCount(sentences: readonly LabeledSentence[]): number {
  return sentences.reduce((sum, s) => sum + s.tokens.length, 0);
}

/** The calibration map fitted on all folds' held-out predictions, and the reliability tables that judge it. */
export function cardCalibration(confidenceByFold: readonly (readonly ConfidenceObservation[])[], folds: number, seed: number): CardCalibration {
  return {
    map: fitIsotonic(confidenceByFold.flat()),
    folds,
    seed,
    reliability: { raw: reliabilityTable(confidenceByFold.flat()), calibrated: crossFittedReliability(confidenceByFold) },
  };
}

export async function trainModelVersion(request: TrainModelVersionRequest, events: TrainModelVersionEvents = {}): Promise<TrainModelVersionResult> {
  let { spec } = request;
  events.onStage?.(spec.corpora ? `reading the corpora (${spec.corpora.join(', ')})` : 'reading the corpus');
  const corpora = spec.corpora ? await readTrainingCorpora(await corpusMappings(spec.corpora), { corpusDir: request.corpusDir, corporaDir: request.corporaDir ?? request.corpusDir }) : null;
  const train = corpora ? { sentences: corpora.base.train, files: [] as { path: string; sha256: string }[] } : await readBeHealthySplit(request.corpusDir, 'train');
  if (corpora) {
    const mappings = [corpora.base.mapping, ...corpora.others.map((o) => o.mapping)];
    spec = {
      ...spec, domains: domainsOfCorpora(mappings), servingDomain: EVERY_MENTION, learnedFrom: corpora.base.mapping.domain,
      ...(spec.domainSpanRules ? {} : { domainSpanRules: guidelineRulesOfCorpora(mappings) }),
    };
  }
  // Other corpora's train documents join every fold's training and the final one; their dev documents are scored.
  const extra = [...(corpora?.others.flatMap((o) => o.sentences) ?? []), ...(request.extraTraining?.sentences ?? [])];
  const devSets = corpora?.others.map((o) => devSetOf(o.mapping, o.dev)) ?? [];
  const trainingSentences = extra.length > 0 ? [...train.sentences, ...extra] : train.sentences;
  const workDir = await mkdtemp(join(tmpdir(), 'behealthy-run-'));
  try {
    const resourceDir = workDir;
    let resourceDataFiles: DataFileDigest[];
    if (request.reuseResources) {
      await cp(request.reuseResources.dir, resourceDir, { recursive: true });
      resourceDataFiles = request.reuseResources.dataFiles;
    } else {
      const built = await buildResources(
        spec.templates,
        { lexiconDir: request.lexiconDir, notesFile: request.notesFile, trainSentences: trainingSentences },
        events.onStage,
      );
      if (corpora) {
        events.onStage?.('learning entity kinds and the note router from the corpora\'s train documents');
        Object.assign(built.resources, { kinds: trainKinds(corpora, built.resources.gazetteer), router: trainRouter(corpora) });
      }
      await writeResourceFiles(resourceDir, serializeResources(built.resources));
      resourceDataFiles = built.dataFiles;
    }
    const dataFiles: DataFileDigest[] = [
      ...(corpora?.files ?? []),
      ...train.files.map((f) => ({ path: basename(f.path), sha256: f.sha256 })),
      ...resourceDataFiles.filter((f) => !train.files.some((t) => basename(t.path) === f.path)),
      ...(request.extraTraining?.files ?? []),
    ];
    let crossValidation: CrossValidationResult | null = request.crossValidation ?? null;
    if (!crossValidation && request.folds > 1) {
      events.onStage?.(`${request.folds}-fold cross-validation on the train split`);
      crossValidation = await crossValidate(
        {
          sentences: train.sentences, folds: request.folds, seed: request.seed, spec, resourceDir,
          entityBiasGrid: request.entityBias === 'auto' ? ENTITY_BIAS_GRID : [request.entityBias],
          ...(extra.length > 0 ? { extraTraining: extra } : {}),
          ...(devSets.length > 0 ? { devSets } : {}),
        },
        { onFold: (report, done) => events.onFold?.(report, done, request.folds) },
      );
    }
    const entityBias = request.entityBias === 'auto' ? (crossValidation?.entityBias ?? { D: 0, T: 0 }) : request.entityBias;
    spec = { ...spec, parameters: { ...spec.parameters, entityBias } };
    events.onStage?.('training on the whole train split');
    const version = request.version ?? (await nextVersionName(request.modelDir));
    const outputDir = join(workDir, 'trained');
    await mkdir(outputDir);
    await runTrainingJob({ kind: 'train', sentences: trainingSentences, spec, resourceDir, outputDir }, events.onIteration);
    const crfPath = join(outputDir, MODEL_FILE);
    const finalFiles = await readResourceFiles(outputDir);
    let test: EvaluationReport | null = null;
    // Uncalibrated: the dev scores do not depend on confidence, and notes' calibration is fitted on raw probabilities.
    const finalModel = modelFromBytes(await readFile(crfPath), spec, parseResources(finalFiles, outputDir), version, undefined, RAW_NOTES_CONFIDENCE);
    if (request.evaluateTest) {
      events.onStage?.('evaluating on the test split');
      const testSentences = (await readBeHealthySplit(request.corpusDir, 'test')).sentences;
      test = evaluateTagger(spec.learnedFrom ? finalModel.forDomain(spec.learnedFrom) : finalModel, testSentences);
    }
    const dev: CorpusDevScores[] = devSets.map((set) => {
      events.onStage?.(`scoring the ${set.corpus} dev split`);
      return { corpus: set.corpus, own: evaluateDevSet(finalModel, set), routed: finalModel.forNote ? evaluateDevSet(finalModel, set, { routed: true }) : null };
    });
    let notesCalibration: CardNotesCalibration | undefined;
    if (corpora) {
      // The clinical-notes corpus's dev split holds the project's own held-out notes (notes' own style).
      events.onStage?.('calibrating confidence on held-out notes (the dev splits)');
      notesCalibration = fitNotesCalibration(finalModel, devSets.flatMap((set) => set.documents));
    }
    const card = await saveModel(
      request.modelDir,
      {
        schemaVersion: 1,
        version,
        created: new Date().toISOString(),
        gitCommit: gitCommit(),
        description: request.description ?? (corpora ? `CRF disease/treatment tagger trained on ${spec.corpora?.join(', ')}, each under its own domain` : 'CRF disease/treatment tagger trained on the BeHealthy train split'),
        labelEncoding: spec.labelEncoding,
        templates: spec.templates,
        spanRules: spec.spanRules,
        ...(spec.decoding ? { decoding: spec.decoding } : {}),
        ...(spec.corpora ? { corpora: spec.corpora } : {}),
        ...(spec.domains ? { domains: spec.domains } : {}),
        ...(spec.servingDomain ? { servingDomain: spec.servingDomain } : {}),
        ...(spec.learnedFrom ? { learnedFrom: spec.learnedFrom } : {}),
        ...(spec.domainSpanRules ? { domainSpanRules: spec.domainSpanRules } : {}),
        trainingParameters: spec.parameters,
        data: {
          corpus: spec.corpora ? spec.corpora.join('+') : basename(request.corpusDir),
          split: extra.length > 0 ? 'train+corrections' : 'train',
          sentences: trainingSentences.length,
          tokens: tokenCount(trainingSentences),
          files: dataFiles,
          sha256: combinedDigest(dataFiles),
        },
        metrics: {
          crossValidation: crossValidation
            ? { folds: request.folds, seed: request.seed, mean: crossValidation.mean, entityBiasSearch: crossValidation.entityBiasSearch }
            : null,
          test: test ? { strict: test.strict, partial: test.partial, token: test.token } : null,
          ...(dev.length > 0 ? { corpora: Object.fromEntries(dev.map((d) => [d.corpus, cardDevScores(d, crossValidation)])) } : {}),
        },
        environment: { node: process.version, crfsuite: runEnvironment().crfsuite },
        ...(crossValidation?.confidenceByFold ? { calibration: cardCalibration(crossValidation.confidenceByFold, request.folds, request.seed) } : {}),
        ...(notesCalibration ? { notesCalibration } : {}),
        trainingProfile: buildTrainingProfile({
          sentences: trainingSentences,
          outOfFold: crossValidation?.outOfFold ? { counts: crossValidation.outOfFold, folds: request.folds, seed: request.seed } : null,
        }),
      },
      crfPath,
      finalFiles,
    );
    return { card, crossValidation, test, dev };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A corpus's dev scores as the card keeps them: the final model's, own domain and routed, and the folds' mean. */
function cardDevScores(dev: CorpusDevScores, crossValidation: CrossValidationResult | null): CardCorpusScores {
  const summary = ({ errors: _errors, ...report }: DocumentReport) => report;
  const folds = crossValidation?.folds.map((f) => f.dev?.find((d) => d.corpus === dev.corpus)?.report).filter((r) => r !== undefined) ?? [];
  return {
    split: 'dev',
    final: summary(dev.own),
    ...(dev.routed ? { routed: summary(dev.routed) } : {}),
    ...(folds.length > 0 ? { foldsStrictF1: { disease: meanAndSd(folds.map((r) => r.strict.disease.f1)), treatment: meanAndSd(folds.map((r) => r.strict.treatment.f1)), micro: meanAndSd(folds.map((r) => r.strict.micro.f1)) } } : {}),
  };
}

