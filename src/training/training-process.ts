import type { ConfidenceObservation } from '../core/tagger/calibration.js';
import { fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NerError } from '../errors.js';
import { createTrainingLogParser, type EntityBias, type TrainingProgress } from '../core/tagger/crfsuite-binding.js';
import type { PredictionCounts } from '../core/evaluation/drift.js';
import type { EvaluationReport } from '../core/evaluation/evaluation.js';
import type { LabeledSentence } from '../core/text/types.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';
import type { DocumentReport } from '../core/evaluation/document-scores.js';
import type { DevSet } from './dev-evaluation.js';

interface JobBase {
  sentences: LabeledSentence[];
  spec: TrainingSpec;
  /** A directory holding the serialised resource files (see resource-files.ts). */
  resourceDir: string;
}
/** Train on all sentences; write the CRFsuite model file and every resource file to outputDir. */
export interface TrainJob extends JobBase {
  kind: 'train';
  outputDir: string;
}
/** Train on k-1 folds, evaluate on fold `fold` at each entity bias of the grid (one training). */
export interface FoldJob extends JobBase {
  kind: 'fold';
  folds: number;
  fold: number;
  seed: number;
  log: boolean;
  entityBiasGrid: EntityBias[];
  /** Added to every fold's training part, never held out (other corpora's train documents; reviewers' corrections). */
  extraTraining?: LabeledSentence[];
  /** Other corpora's dev documents, scored by the fold's model under their own domains. */
  devSets?: DevSet[];
}
export type TrainingJob = TrainJob | FoldJob;

export type ScoreReport = Omit<EvaluationReport, 'errors'>;
export interface FoldReport {
  fold: number;
  seconds: number;
  /** predictions: what the fold's model predicted on its held-out sentences, as counts (for the drift profile). */
  /** confidence: each predicted span's (uncalibrated) confidence and whether it matched a gold span exactly. */
  byEntityBias: { entityBias: EntityBias; report: ScoreReport; predictions?: PredictionCounts; confidence?: ConfidenceObservation[] }[];
  /** Each dev set's scores by the fold's model (the entity bias is the base corpus's own: it does not change these). */
  dev?: { corpus: string; report: Omit<DocumentReport, 'errors'> }[];
}

function childModule(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  // From TypeScript sources (tests, scripts) the child needs the same loader; from dist it is plain JS.
  return self.endsWith('.ts')
    ? { path: self.replace(/training-process\.ts$/, 'training-child.ts'), execArgv: ['--import', 'tsx'] }
    : { path: self.replace(/training-process\.js$/, 'training-child.js'), execArgv: [] };
}

/** `signal`: aborting it kills the training process (SIGTERM) and rejects with NER_ERR_TRAINING_FAILED "… cancelled". */
export interface TrainingJobOptions {
  signal?: AbortSignal;
}

export function runTrainingJob(job: FoldJob, onProgress?: (p: TrainingProgress) => void, options?: TrainingJobOptions): Promise<FoldReport>;
export function runTrainingJob(job: TrainJob, onProgress?: (p: TrainingProgress) => void, options?: TrainingJobOptions): Promise<{ written: string }>;
export function runTrainingJob(job: TrainingJob, onProgress?: (p: TrainingProgress) => void, options: TrainingJobOptions = {}): Promise<unknown> {
  const { path, execArgv } = childModule();
  const what = job.kind === 'fold' ? `fold ${job.fold + 1}` : 'training';
  return new Promise((resolve, reject) => {
    const child = fork(path, [], { execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'], ...(options.signal ? { signal: options.signal } : {}) });
    const parse = createTrainingLogParser(job.spec.parameters.maxIterations);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const progress = parse(line);
      if (progress) onProgress?.(progress);
    });
    let settled = false;
    child.on('message', (message: { ok: boolean; result?: unknown; message?: string }) => {
      settled = true;
      if (message.ok) resolve(message.result);
      else reject(new NerError('NER_ERR_TRAINING_FAILED', `${what}: ${message.message ?? 'failed'}`));
    });
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      const cancelled = options.signal?.aborted === true;
      reject(new NerError('NER_ERR_TRAINING_FAILED', `${what}: ${cancelled ? 'cancelled' : error.message}`, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new NerError('NER_ERR_TRAINING_FAILED', `${what}: the training process ended (${signal ?? `exit code ${code}`})`));
    });
    if (options.signal?.aborted) return;
    child.send(job);
  });
}
