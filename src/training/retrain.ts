import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labeledSentencesOf, type OffsetEntity } from '../core/text/annotated-sentences.js';
import type { LabeledSentence } from '../core/text/types.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { NerError } from '../errors.js';
import { specOfCard, type ModelCard } from '../registry/model-card.js';
import { crossValidate, type CrossValidationResult } from './cross-validate.js';
import { trainModelVersion } from './train-model-version.js';
import { createHash } from 'node:crypto';
import type { DataFileDigest } from '../registry/model-card.js';
import { loadModel } from '../registry/model-store.js';
import { promoteVersion } from '../registry/model-registry.js';
import { createRunId, recordRun, RUN_SCHEMA_VERSION } from '../registry/runs.js';
import { runDataOfCard, runParameters, trainRun } from './run-records.js';
import { gitCommit, runEnvironment } from '../registry/run-environment.js';

/** What started a retraining: by hand, a nightly drift verdict of `retrain`, or enough new corrections. */
export type RetrainTrigger = 'manual' | 'drift' | 'corrections';

/** A corrected note as retraining takes it (see store/correction-store.ts). */
export interface CorrectedNote {
  noteId: string;
  text: string;
  entities: OffsetEntity[];
}

export interface CvSummary {
  mean: number;
  sd: number;
  perFold: number[];
}

/** Champion and challenger on the same folds, and whether the challenger may replace the champion. */
export interface RetrainComparison {
  champion: { version: string; cv: CvSummary };
  challenger: { cv: CvSummary; correctionNotes: number; correctionSentences: number };
  folds: number;
  seed: number;
  margin: number;
  /** challenger mean − champion mean (strict micro F1). */
  delta: number;
  promote: boolean;
  reason: string;
}

const summary = (cv: CrossValidationResult): CvSummary => ({
  mean: cv.mean.strict.micro.f1.mean,
  sd: cv.mean.strict.micro.f1.sd,
  perFold: cv.folds.map((f) => f.byEntityBias[0]?.report.strict.micro.f1 ?? 0),
});

/**
 * The decision rule: the challenger replaces the champion unless its cross-validated strict micro F1 is
 * lower by more than `margin`. Test-split figures are reported beside, never decided on.
 */
export function decidePromotion(champion: CvSummary, challenger: CvSummary, margin: number): { delta: number; promote: boolean; reason: string } {
  const delta = challenger.mean - champion.mean;
  const promote = delta >= -margin;
  const figures = `challenger ${challenger.mean.toFixed(4)} vs champion ${champion.mean.toFixed(4)} (Δ ${delta >= 0 ? '+' : ''}${delta.toFixed(4)}, margin ${margin})`;
  return { delta, promote, reason: promote ? `not worse by more than the margin: ${figures}` : `worse by more than the margin: ${figures}` };
}

/** The corrections as training sentences (the tokenizer's sentences of each note, labelled D/T/O). */
export function correctionSentences(notes: readonly CorrectedNote[]): LabeledSentence[] {
  return notes.flatMap((note) => labeledSentencesOf(note.text, note.entities)).filter((s) => s.tokens.length > 0);
}

/**
 * Cross-validates champion and challenger on the same folds of the base train split (the champion card's
 * folds and seed): the champion trains on each fold's training part, the challenger on the same part plus
 * every corrected note; both are scored on the same held-out fold, at the champion's entity bias.
 */
export async function compareOnSameFolds(
  request: { corpusDir: string; championDir: string; champion: ModelCard; corrections: readonly CorrectedNote[]; margin: number },
  events: { onStage?(stage: string): void } = {},
): Promise<{ comparison: RetrainComparison; challengerCv: CrossValidationResult }> {
  const cv = request.champion.metrics.crossValidation;
  const folds = cv?.folds ?? 5;
  const seed = cv?.seed ?? 42;
  if (folds < 2) throw new NerError('NER_ERR_CLI_USAGE', 'retraining compares on cross-validation folds: the champion must have been cross-validated');
  const spec = specOfCard(request.champion);
  const extra = correctionSentences(request.corrections);
  const train = await readBeHealthySplit(request.corpusDir, 'train');
  // The champion's resource files (gazetteer, clusters, part-of-speech lexicon) serve both: only the data differs.
  const resourceDir = await mkdtemp(join(tmpdir(), 'behealthy-retrain-'));
  try {
    await cp(request.championDir, resourceDir, { recursive: true });
    const base = { sentences: train.sentences, folds, seed, spec, resourceDir, entityBiasGrid: [spec.parameters.entityBias] };
    events.onStage?.(`champion ${request.champion.version}: ${folds}-fold cross-validation on the train split`);
    const champion = summary(await crossValidate(base));
    events.onStage?.(`challenger: the same folds, each with ${request.corrections.length} corrected notes (${extra.length} sentences) added to its training part`);
    const challengerCv = await crossValidate({ ...base, extraTraining: extra });
    const challenger = summary(challengerCv);
    const comparison: RetrainComparison = {
      champion: { version: request.champion.version, cv: champion },
      challenger: { cv: challenger, correctionNotes: request.corrections.length, correctionSentences: extra.length },
      folds,
      seed,
      margin: request.margin,
      ...decidePromotion(champion, challenger, request.margin),
    };
    return { comparison, challengerCv };
  } finally {
    await rm(resourceDir, { recursive: true, force: true });
  }
}

export interface RetrainRequest {
  corpusDir: string;
  lexiconDir: string;
  notesFile: string;
  modelDir: string;
  runsDir: string;
  corrections: readonly CorrectedNote[];
  margin: number;
  trigger: RetrainTrigger;
  detail?: string;
  /** Who the promotion history names. */
  by: string;
}

export interface RetrainOutcome {
  runId: string;
  comparison: RetrainComparison | null;
  /** The challenger's model version (trained whenever there are corrections), and whether it is now production. */
  challengerVersion: string | null;
  promoted: boolean;
  reason: string;
  /** Test-split strict micro F1 of both, reported beside the decision (never deciding). */
  test: { champion: number | null; challenger: number | null };
}

/** sha256 of the corrections as trained on: the run and the card name the data exactly. */
function correctionsDigest(notes: readonly CorrectedNote[]): DataFileDigest {
  const hash = createHash('sha256');
  for (const note of notes) hash.update(`${JSON.stringify([note.noteId, note.text, note.entities])}\n`);
  return { path: 'corrections', sha256: hash.digest('hex') };
}

/**
 * A retraining: the production model (champion) against a challenger trained exactly as it was plus the
 * reviewers' corrections, on the same cross-validation folds. The challenger is trained as a model version
 * and scored on the test split (reported beside); it becomes production only if its CV strict micro F1 is
 * not lower than the champion's by more than the margin. The decision and both scores are recorded as a run.
 */
export async function retrain(request: RetrainRequest, events: { onStage?(stage: string): void } = {}): Promise<RetrainOutcome> {
  const startedAt = new Date();
  const runId = createRunId(startedAt);
  const champion = await loadModel(request.modelDir);
  const details = (outcome: Omit<RetrainOutcome, 'runId'>) => ({ trigger: request.trigger, detail: request.detail ?? null, champion: champion.card.version, ...outcome });
  if (request.corrections.length === 0) {
    const outcome = { comparison: null, challengerVersion: null, promoted: false, reason: 'no corrections to train on', test: { champion: champion.card.metrics.test?.strict.micro.f1 ?? null, challenger: null } };
    const spec = specOfCard(champion.card);
    await recordRun(request.runsDir, {
      schemaVersion: RUN_SCHEMA_VERSION, id: runId, kind: 'retrain', status: 'completed', name: `retrain (${request.trigger}): no corrections`,
      startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      parentId: null, parameters: runParameters(spec, 'fixed'), templates: spec.templates, data: runDataOfCard(champion.card), crossValidation: null,
      test: null, modelVersion: null, gitCommit: gitCommit(), environment: runEnvironment(), details: details(outcome),
    });
    return { runId, ...outcome };
  }
  const { comparison, challengerCv } = await compareOnSameFolds(
    { corpusDir: request.corpusDir, championDir: champion.directory, champion: champion.card, corrections: request.corrections, margin: request.margin },
    events,
  );
  events.onStage?.('training the challenger on the whole train split and the corrections');
  const spec = specOfCard(champion.card);
  const result = await trainModelVersion({
    corpusDir: request.corpusDir, lexiconDir: request.lexiconDir, notesFile: request.notesFile, modelDir: request.modelDir,
    spec, folds: comparison.folds, seed: comparison.seed, evaluateTest: true, entityBias: spec.parameters.entityBias,
    description: `retrained from ${champion.card.version} with ${request.corrections.length} reviewed notes (${request.trigger})`,
    extraTraining: { sentences: correctionSentences(request.corrections), files: [correctionsDigest(request.corrections)] },
    reuseResources: { dir: champion.directory, dataFiles: champion.card.data.files },
    crossValidation: challengerCv,
  }, { ...(events.onStage ? { onStage: events.onStage } : {}) });
  let promoted = false;
  let reason = comparison.reason;
  if (comparison.promote) {
    await promoteVersion(request.modelDir, result.card.version, { by: request.by, reason: `retrain (${request.trigger}): ${comparison.reason}` });
    promoted = true;
  } else {
    reason = `${comparison.reason}; ${champion.card.version} stays production`;
  }
  const outcome = {
    comparison, challengerVersion: result.card.version, promoted, reason,
    test: { champion: champion.card.metrics.test?.strict.micro.f1 ?? null, challenger: result.test?.strict.micro.f1 ?? null },
  };
  await recordRun(request.runsDir, trainRun({
    id: runId, kind: 'retrain', name: `retrain (${request.trigger}): ${promoted ? 'promoted' : 'kept'} ${result.card.version}`,
    startedAt, finishedAt: new Date(), result, entityBiasMode: 'fixed', environment: runEnvironment(), details: details(outcome),
  }));
  return { runId, ...outcome };
}
