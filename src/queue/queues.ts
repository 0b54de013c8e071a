import type { RetrainTrigger } from '../training/retrain.js';
import type { JobsOptions } from 'bullmq';

/** Queue names (ARCHITECTURE.md): a job of `extract` is one batch of notes of a submission. */
export const EXTRACT_QUEUE = 'extract';
/** A job of `nightly` is one day's run (queued by the job scheduler, NIGHTLY_CRON in TZ). */
export const NIGHTLY_QUEUE = 'nightly';
export const NIGHTLY_SCHEDULER_ID = 'nightly-run';
/** A job of `train` is one retraining (champion vs challenger with the reviewers' corrections). */
export const TRAIN_QUEUE = 'train';


export interface TrainJobData {
  trigger: RetrainTrigger;
  /** Why, for the run record: the nightly day and its drift score, or the corrections counted. */
  detail?: string;
}

export interface NightlyJobData {
  /** The day to process, YYYY-MM-DD; absent when the scheduler queued it: the day before, in TZ. */
  day?: string;
}

/** A note as submitted: checked by the worker, so that a bad note fails alone, with its reason. */
export interface SubmittedNote {
  id: unknown;
  text: unknown;
}

export interface ExtractBatchData {
  /** The submission (our job id, a UUID) this batch belongs to. */
  jobId: string;
  batch: number;
  notes: SubmittedNote[];
}

export interface ExtractBatchResult {
  done: number;
  failed: number;
  /** Time spent extracting the notes and writing the batch to PostgreSQL. */
  extractMs: number;
  saveMs: number;
}

/** BullMQ's id of a batch job: derived, so a submission's batches can be looked up without an index. */
export function batchJobId(jobId: string, batch: number): string {
  return `${jobId}.${batch}`;
}

/**
 * Retries with exponential backoff (1 s, 2 s, 4 s … about 17 minutes in all): a batch fails only on
 * infrastructure errors (PostgreSQL down), since bad notes are recorded as failures, not thrown.
 * Finished jobs are kept a while so GET /v1/jobs/:id can report failed batches.
 */
export const EXTRACT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
