import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { Config } from '../config.js';
import type { RetrainTrigger } from '../training/retrain.js';

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
  /** Set once the batch's records are committed: the notes then hold their ids only (see dropNoteTexts). */
  textsDropped?: true;
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
 * How long finished jobs are kept is the queue's default (extractQueue), from the configuration.
 */
export const EXTRACT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
};

export type QueueRetention = Pick<Config, 'queueKeepCompletedSeconds' | 'queueKeepFailedSeconds'>;

/**
 * The retention of note text in Redis: a completed batch is kept QUEUE_KEEP_COMPLETED_SECONDS (its notes'
 * texts are already gone, dropped at commit), a failed one QUEUE_KEEP_FAILED_SECONDS with its notes, so
 * that it can be retried and GET /v1/jobs/:id can report it.
 */
export function extractRetentionOptions(retention: QueueRetention): Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> {
  return {
    removeOnComplete: retention.queueKeepCompletedSeconds === 0 ? true : { age: retention.queueKeepCompletedSeconds, count: 100_000 },
    removeOnFail: { age: retention.queueKeepFailedSeconds },
  };
}

/** The `extract` queue with the configured retention as every job's default: every producer opens it here. */
export function extractQueue(connection: RedisClient, config: QueueRetention & Pick<Config, 'queuePrefix'>): Queue<ExtractBatchData> {
  const queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection, prefix: config.queuePrefix, defaultJobOptions: extractRetentionOptions(config) });
  queue.on('error', () => {}); // Redis down: /ready reports it, submitting answers 503.
  return queue;
}

/** A committed batch's data without its notes' texts: what Redis keeps of it from then on. */
export function dropNoteTexts(data: ExtractBatchData): ExtractBatchData {
  return { ...data, notes: data.notes.map((note) => ({ id: (note as SubmittedNote | null)?.id, text: undefined })), textsDropped: true };
}
