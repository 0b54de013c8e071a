import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityBias } from '../core/tagger/crfsuite-binding.js';
import type { AveragedReport, MeanSd, SpanScores, TokenScores } from '../core/evaluation/evaluation.js';
import type { LabelEncoding } from '../core/tagger/label-codec.js';
import { NerError } from '../errors.js';
import type { MetricsSummary, ModelCard } from './model-card.js';

/**
 * Experiment runs: one JSON file per run, `<runsDir>/<id>.json`. Every `behealthy train`, every tuning trial,
 * every tune and every retraining records one, so runs can be listed and compared (`behealthy runs`).
 *
 * The stable API (other modules record runs through it): `Run` and its parts, `createRunId`, `recordRun`,
 * `readRun`, `listRuns`, `resolveRunId`. Pure builders of runs from training results are in run-records.ts.
 */

export const RUN_SCHEMA_VERSION = 1;
export type RunKind = 'train' | 'tune-trial' | 'tune' | 'retrain';
export const RUN_KINDS: readonly RunKind[] = ['train', 'tune-trial', 'tune', 'retrain'];
/** completed: metrics are final; cancelled: stopped on purpose (a tune's budget); failed: an error (see `error`). */
export type RunStatus = 'completed' | 'cancelled' | 'failed';

/** What a CRF is trained with, besides its templates and data. */
export interface RunParameters {
  c1: number;
  c2: number;
  /** L-BFGS's maximum number of iterations. */
  iterations: number;
  labelEncoding: LabelEncoding;
  /** The entity (recall) bias of the run's model: chosen by cross-validation ('auto') or given ('fixed'). */
  entityBias: EntityBias;
  entityBiasMode: 'auto' | 'fixed';
  /** Span repairs after decoding, in order. */
  spanRules: string[];
  /** Span decoding (core/tagger/span-decoding.ts): viterbi, or marginals:threshold:maxLength; absent in older runs. */
  decoding?: string;
  possibleTransitions: boolean;
  possibleStates: boolean;
}

/** One held-out fold, scored at the run's entity bias. */
export interface RunFold {
  fold: number;
  /** Wall time of the fold's training and scoring. */
  seconds: number;
  strict: SpanScores;
  partial: SpanScores;
  token: TokenScores;
}

export interface RunCrossValidation {
  folds: number;
  seed: number;
  perFold: RunFold[];
  /** Mean ± sd over the folds, at the run's entity bias. */
  mean: AveragedReport;
  /** Mean ± sd strict micro F1 at every entity bias tried (one when the bias was fixed). */
  entityBiasSearch: { entityBias: EntityBias; strictMicroF1: MeanSd }[];
}

/** The data a run trained on, described as the model card describes it (corpus split, files and their sha256). */
export type RunData = ModelCard['data'];

export interface RunEnvironment {
  node: string;
  crfsuite: string;
  natural: string;
  compromise: string;
}

/** A tuning trial as its tune lists it. */
export interface TuneTrialSummary {
  runId: string;
  /** What the trial changes from the incumbent ("incumbent", "c1 0.1", "+pos-notes-wide, IO"). */
  name: string;
  status: RunStatus;
  templates: string[];
  parameters: RunParameters;
  /** Mean ± sd strict micro F1 over the folds (null unless completed). */
  cvStrictMicroF1: MeanSd | null;
  /** Fold by fold against the incumbent's trial (same folds): mean ± sd of the differences, folds improved. */
  pairedDelta: PairedDelta | null;
  seconds: number;
}

export interface PairedDelta {
  mean: number;
  sd: number;
  better: number;
  folds: number;
}

export interface RunTune {
  /** The wall-clock budget (null: none, only a trial count). */
  budgetSeconds: number | null;
  maxTrials: number | null;
  /** Training processes run at once. */
  concurrency: number;
  /** The model version whose configuration is the first trial, and that trial's run. */
  incumbent: { modelVersion: string; runId: string | null; cvStrictMicroF1: MeanSd | null; cardCvStrictMicroF1: MeanSd | null };
  trials: TuneTrialSummary[];
  /** The completed trial with the highest mean CV strict micro F1 (the incumbent's on a tie). */
  best: { runId: string; name: string; cvStrictMicroF1: MeanSd } | null;
  /** Why no further trial was started ("budget", "trials", "search space exhausted", …). */
  stopReason: string;
  /** What happened to trials running when the budget ran out. */
  atBudget: 'cancelled';
  /** Whether the resources (gazetteer, notes POS lexicon) were reused from the incumbent's version or built. */
  resources: { reusedFrom: string | null; built: string[] };
  /** The `train` run of --train-best, and whether its version was promoted. */
  trainedRunId: string | null;
  promoted: boolean;
}

export interface Run {
  schemaVersion: 1;
  /** Sortable: `createRunId()` gives a UTC timestamp and a short random suffix. */
  id: string;
  kind: RunKind;
  status: RunStatus;
  /** A short label: a trial's change from the incumbent, or a free description. */
  name: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** The run this one belongs to: a trial's tune, the tune a --train-best run came from; null otherwise. */
  parentId: string | null;
  /** For a tune: its best trial's (or, with none, the incumbent's) configuration and cross-validation. */
  parameters: RunParameters;
  templates: string[];
  data: RunData | null;
  crossValidation: RunCrossValidation | null;
  /** Test-split scores when they were asked for (reported, never decided on). */
  test: MetricsSummary | null;
  /** The model version the run produced, if any. */
  modelVersion: string | null;
  gitCommit: string | null;
  environment: RunEnvironment;
  /** Set when status is failed. */
  error?: string;
  tune?: RunTune;
  /** Kind-specific details (e.g. a retraining's champion / challenger decision); free-form JSON. */
  details?: Record<string, unknown>;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SUFFIX = '.json';

/** `20261201T215116123Z-3fa9c2`: the UTC time to the millisecond and 6 random hex digits; ids sort by time. */
export function createRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function assertRunId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new NerError('NER_ERR_RUN_NOT_FOUND', `"${id}" is not a run id (letters, digits, . _ -)`);
}

function invalid(file: string, message: string): never {
  throw new NerError('NER_ERR_RUN_INVALID', message, { file });
}

/** Checks the fields listing and comparing rely on; the rest passes through. */
export function parseRun(json: string, file: string): Run {
  let run: Run;
  try {
    run = JSON.parse(json) as Run;
  } catch (cause) {
    throw new NerError('NER_ERR_RUN_INVALID', `not valid JSON: ${(cause as Error).message}`, { file, cause });
  }
  if (typeof run !== 'object' || run === null || Array.isArray(run)) invalid(file, 'expected a JSON object');
  if (run.schemaVersion !== RUN_SCHEMA_VERSION) invalid(file, `unsupported schemaVersion ${String(run.schemaVersion)} (this code reads ${RUN_SCHEMA_VERSION})`);
  if (typeof run.id !== 'string' || !ID_PATTERN.test(run.id)) invalid(file, 'missing or invalid "id"');
  if (!RUN_KINDS.includes(run.kind)) invalid(file, `"kind" must be one of ${RUN_KINDS.join(', ')}`);
  if (!['completed', 'cancelled', 'failed'].includes(run.status)) invalid(file, '"status" must be completed, cancelled or failed');
  if (typeof run.startedAt !== 'string' || typeof run.durationSeconds !== 'number') invalid(file, '"startedAt" and "durationSeconds" are required');
  const p = run.parameters as Partial<RunParameters> | undefined;
  if (typeof p !== 'object' || p === null || typeof p.c1 !== 'number' || typeof p.c2 !== 'number' || typeof p.iterations !== 'number') {
    invalid(file, '"parameters" must hold c1, c2 and iterations');
  }
  if (!Array.isArray(run.templates) || !run.templates.every((t) => typeof t === 'string')) invalid(file, '"templates" must be a list of names');
  return run;
}

/**
 * Writes a run as `<runsDir>/<run.id>.json` (creating the folder), atomically: a reader never sees half a
 * file. Recording the same id again replaces the run. Returns the file's path.
 */
export async function recordRun(runsDir: string, run: Run): Promise<string> {
  assertRunId(run.id);
  await mkdir(runsDir, { recursive: true });
  const path = join(runsDir, `${run.id}${SUFFIX}`);
  const staging = `${path}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await writeFile(staging, `${JSON.stringify(run, null, 2)}\n`);
  await rename(staging, path);
  return path;
}

/** One run by its exact id; NER_ERR_RUN_NOT_FOUND when there is none, NER_ERR_RUN_INVALID when its file is bad. */
export async function readRun(runsDir: string, id: string): Promise<Run> {
  assertRunId(id);
  const path = join(runsDir, `${id}${SUFFIX}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NerError('NER_ERR_RUN_NOT_FOUND', `no run ${id} in ${runsDir}`, { cause });
  }
  return parseRun(text, path);
}

async function runIds(runsDir: string): Promise<string[]> {
  const names = await readdir(runsDir).catch((cause: NodeJS.ErrnoException) => {
    if (cause.code === 'ENOENT') return [] as string[];
    throw cause;
  });
  return names.filter((n) => n.endsWith(SUFFIX) && ID_PATTERN.test(n.slice(0, -SUFFIX.length))).map((n) => n.slice(0, -SUFFIX.length)).sort();
}

export interface ListRunsOptions {
  kind?: RunKind;
  /** Called for a file that is not a valid run (it is skipped); without it such a file throws NER_ERR_RUN_INVALID. */
  onInvalid?: (file: string, error: NerError) => void;
}

/** Every run of the folder, oldest first (ids sort by time); an absent folder holds none. */
export async function listRuns(runsDir: string, options: ListRunsOptions = {}): Promise<Run[]> {
  const runs: Run[] = [];
  for (const id of await runIds(runsDir)) {
    const file = join(runsDir, `${id}${SUFFIX}`);
    try {
      const run = parseRun(await readFile(file, 'utf8'), file);
      if (!options.kind || run.kind === options.kind) runs.push(run);
    } catch (error) {
      if (options.onInvalid && error instanceof NerError) options.onInvalid(file, error);
      else throw error;
    }
  }
  return runs;
}

/** A run named by its id or by a prefix of one id (ids are long); NER_ERR_RUN_NOT_FOUND when none or several match. */
export async function resolveRunId(runsDir: string, ref: string): Promise<string> {
  const ids = await runIds(runsDir);
  if (ids.includes(ref)) return ref;
  const matches = ids.filter((id) => id.startsWith(ref));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) throw new NerError('NER_ERR_RUN_NOT_FOUND', `no run ${ref} in ${runsDir} (behealthy runs list shows them)`);
  throw new NerError('NER_ERR_RUN_NOT_FOUND', `"${ref}" matches ${matches.length} runs (${matches.slice(0, 3).join(', ')}${matches.length > 3 ? ', …' : ''}): give more of the id`);
}
