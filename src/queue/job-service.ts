import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { redactUrl } from '../config.js';
import { isConnectionError, sqlStateOf } from '../store/sql-state.js';
import { NerError } from '../errors.js';
import { redisReady, type RedisClient } from './redis-connection.js';
import type { RecordStore, StoredRecord, SubmissionProgress } from '../store/record-store.js';
import { batchJobId, EXTRACT_JOB_OPTIONS, type ExtractBatchData, type SubmittedNote } from './queues.js';
import { flattenNote, storedNoteKey } from './submitted-note.js';

export type JobState = 'queued' | 'running' | 'completed' | 'failed';

export interface JobStatus extends Omit<SubmissionProgress, 'failures'> {
  state: JobState;
  /** Batches BullMQ gave up on after every retry (their notes are neither done nor failed). */
  failedBatches: { batch: number; reason: string }[];
  failures: SubmissionProgress['failures'];
}

/** Bulk submissions: split into batches on the `extract` queue, tracked in PostgreSQL. */
export interface JobService {
  /**
   * Splits the notes into batches on the queue, each note reduced to its id and text (see flattenNote).
   * With options.jobId (a nightly day's fixed id) submitting again is harmless: batches still queued or
   * done are not added twice, and batches that failed every retry are retried. Throws
   * NER_ERR_JOB_DUPLICATE_NOTE_ID when two notes would be stored under one id: such a job could never
   * count all its notes done.
   */
  submit(notes: readonly unknown[], source?: string, options?: { jobId?: string }): Promise<{ jobId: string; notes: number; batches: number }>;
  status(jobId: string): Promise<JobStatus | null>;
  records(jobId: string): AsyncGenerator<StoredRecord>;
}

const FAILURES_SHOWN = 1_000;
/** An unfinished job idle this long has its batches looked up in the queue, in case they expired from it. */
const IDLE_BEFORE_EXPIRY_CHECK_MS = 60_000;
export const EXPIRED_BATCH_REASON =
  'the batch is no longer in the queue (finished batches are kept QUEUE_KEEP_COMPLETED_SECONDS, failed ones QUEUE_KEEP_FAILED_SECONDS, or it was removed): resubmit the notes missing from GET /v1/jobs/:id/records';

export function queueUnavailable(redisUrl: string, cause?: unknown): NerError {
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  return new NerError('NER_ERR_QUEUE_UNAVAILABLE', `the job queue is unavailable: Redis at ${redactUrl(redisUrl)} is not reachable${detail}; start Redis or set REDIS_URL`, { cause });
}

export function storeUnavailable(databaseUrl: string, cause?: unknown): NerError {
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  return new NerError('NER_ERR_STORE_UNAVAILABLE', `the record store is unavailable: PostgreSQL at ${redactUrl(databaseUrl)} is not reachable${detail}; start PostgreSQL or set DATABASE_URL`, { cause });
}

/** A store call whose connection failures become NER_ERR_STORE_UNAVAILABLE (see storeError). */
export function withStoreErrors<T>(promise: Promise<T>, databaseUrl: string): Promise<T> {
  return promise.catch((cause: unknown) => Promise.reject(storeError(cause, databaseUrl)));
}

export function createJobService(deps: {
  queue: Queue<ExtractBatchData>;
  redis: RedisClient;
  store: RecordStore;
  batchSize: number;
  redisUrl: string;
  databaseUrl: string;
}): JobService {
  const { queue, redis, store, batchSize } = deps;
  const fromStore = <T>(promise: Promise<T>): Promise<T> => withStoreErrors(promise, deps.databaseUrl);
  return {
    async submit(submitted, source = 'api', options = {}) {
      const notes = submitted.map(flattenNote);
      assertUniqueNoteIds(notes, batchSize);
      if (!(await redisReady(redis))) throw queueUnavailable(deps.redisUrl);
      const jobId = options.jobId ?? randomUUID();
      const batches: ExtractBatchData[] = [];
      for (let start = 0; start < notes.length; start += batchSize) {
        batches.push({ jobId, batch: batches.length, notes: notes.slice(start, start + batchSize) });
      }
      await fromStore(store.createSubmission({ jobId, notes: notes.length, batches: batches.length, source }));
      try {
        await queue.addBulk(batches.map((data) => ({ name: 'extract-batch', data, opts: { ...EXTRACT_JOB_OPTIONS, jobId: batchJobId(jobId, data.batch) } })));
      } catch (cause) {
        if (!options.jobId) await store.deleteSubmission(jobId).catch(() => {});
        throw queueUnavailable(deps.redisUrl, cause);
      }
      if (options.jobId) {
        for (const data of batches) {
          const job = await queue.getJob(batchJobId(jobId, data.batch));
          if (job && (await job.isFailed())) await job.retry('failed');
        }
      }
      return { jobId, notes: notes.length, batches: batches.length };
    },

    async status(jobId) {
      const progress = await fromStore(store.progress(jobId, FAILURES_SHOWN));
      if (!progress) return null;
      const finished = progress.done + progress.failed;
      const failedBatches: JobStatus['failedBatches'] = [];
      const lastActivity = (progress.lastProcessedAt ?? progress.createdAt).getTime();
      const idle = Date.now() - lastActivity > IDLE_BEFORE_EXPIRY_CHECK_MS;
      // Looking batches up one by one only when the queue holds failed jobs at all, or when an unfinished job
      // has been idle long enough that its batches may have expired from the queue (polls are frequent).
      if (finished < progress.notes && redis.status === 'ready' && (idle || (await queue.getFailedCount()) > 0)) {
        const missing: number[] = [];
        let pending = 0;
        for (let batch = 0; batch < progress.batches; batch++) {
          const job = await queue.getJob(batchJobId(jobId, batch));
          if (!job) missing.push(batch);
          else if (await job.isFailed()) failedBatches.push({ batch, reason: job.failedReason });
          else if (!(await job.isCompleted())) pending++;
        }
        // Nothing left to run and notes unaccounted for: batches expired from the queue (a failed batch after
        // QUEUE_KEEP_FAILED_SECONDS) or were removed by hand. Without this the job would read running forever.
        if (idle && pending === 0 && failedBatches.length === 0) {
          for (const batch of missing) failedBatches.push({ batch, reason: EXPIRED_BATCH_REASON });
        }
      }
      const state: JobState = finished >= progress.notes ? 'completed' : failedBatches.length > 0 ? 'failed' : finished === 0 ? 'queued' : 'running';
      return { ...progress, state, failedBatches };
    },

    async *records(jobId) {
      try {
        yield* store.jobRecords(jobId, 500);
      } catch (cause) {
        throw storeError(cause, deps.databaseUrl);
      }
    },
  };
}

const DUPLICATES_NAMED = 5;
const ID_CHARS_SHOWN = 64;

/**
 * Refuses notes that would be stored under one key (storedNoteKey: `1` and `"1"` are one id), naming the
 * first repeated ids and where they are (`notes[i]`). Ids are not note text; they are cut to 64 characters.
 */
export function assertUniqueNoteIds(notes: readonly SubmittedNote[], batchSize: number): void {
  const positions = new Map<string, number[]>();
  const repeated: string[] = [];
  notes.forEach((note, i) => {
    const key = storedNoteKey(note.id, Math.floor(i / batchSize), i % batchSize);
    const at = positions.get(key);
    if (at === undefined) positions.set(key, [i]);
    else {
      if (at.length === 1) repeated.push(key);
      at.push(i);
    }
  });
  if (repeated.length === 0) return;
  const named = repeated.slice(0, DUPLICATES_NAMED).map((key) => {
    const at = positions.get(key) as number[];
    const shown = key.length > ID_CHARS_SHOWN ? `${key.slice(0, ID_CHARS_SHOWN)}…` : key;
    const where = at.slice(0, 3).map((i) => `notes[${i}]`).join(', ');
    return `${JSON.stringify(shown)} at ${where}${at.length > 3 ? ` and ${at.length - 3} more` : ''}`;
  });
  const more = repeated.length > DUPLICATES_NAMED ? `; and ${repeated.length - DUPLICATES_NAMED} more repeated ids` : '';
  throw new NerError('NER_ERR_JOB_DUPLICATE_NOTE_ID', `note ids must be unique within a job (a job stores one record per id): ${named.join('; ')}${more}`);
}

/** Connection failures become NER_ERR_STORE_UNAVAILABLE (503); SQL errors stay what they are (500). */
export function storeError(cause: unknown, databaseUrl: string): unknown {
  if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof NerError) return cause;
  const sqlState = sqlStateOf(cause);
  if (sqlState === '42P01' || sqlState === '3F000') {
    return new NerError('NER_ERR_STORE_UNAVAILABLE', 'the record store has no tables yet: run `behealthy db migrate` (or start a worker, which migrates)', { cause });
  }
  return sqlState === undefined || isConnectionError(cause) ? storeUnavailable(databaseUrl, cause) : cause;
}
