import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { describeError, withSafeMessage } from '../error-description.js';
import { processExtractBatch, type ExtractBatchDeps } from './extract-batch-processor.js';
import { dropNoteTexts, type ExtractBatchData, type ExtractBatchResult, type QueueRetention } from './queues.js';

const NOTHING_LEFT: ExtractBatchResult = { done: 0, failed: 0, extractMs: 0, saveMs: 0 };

/**
 * An `extract` job as the worker runs it: the batch processed and committed, then its notes' texts dropped
 * from the job in Redis, so a completed job holds note ids only, however long it is kept. A job seen again
 * after that (its worker died between the drop and BullMQ marking it completed) was committed already and
 * is done. Until the commit the texts stay: a retry after a crash mid-batch needs them. An error leaves
 * with a message that quotes no data, since BullMQ keeps it as the job's failed reason and stack trace.
 */
export async function runExtractBatchJob(job: Job<ExtractBatchData, ExtractBatchResult>, deps: ExtractBatchDeps): Promise<ExtractBatchResult> {
  if (job.data.textsDropped) return NOTHING_LEFT;
  let result: ExtractBatchResult;
  try {
    result = await processExtractBatch(job.data, deps);
  } catch (error) {
    throw withSafeMessage(error);
  }
  await job.updateData(dropNoteTexts(job.data));
  return result;
}

/**
 * Removes finished `extract` jobs older than their retention. BullMQ prunes old jobs only when another job
 * finishes, so without this a failed batch (which keeps its notes) would outlive QUEUE_KEEP_FAILED_SECONDS
 * on a queue that has gone quiet. Runs every `everyMs` until closed; a sweep that fails (Redis down) is
 * logged and tried again next time.
 */
export function sweepFinishedJobs(queue: Queue, retention: QueueRetention, logger: Pick<Logger, 'warn'>, everyMs = 60_000): { sweep(): Promise<number>; close(): void } {
  const sweep = async (): Promise<number> => {
    const completed = await queue.clean(retention.queueKeepCompletedSeconds * 1000, 10_000, 'completed');
    const failed = await queue.clean(retention.queueKeepFailedSeconds * 1000, 10_000, 'failed');
    return completed.length + failed.length;
  };
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => logger.warn({ error: describeError(error) }, 'removing expired queue jobs failed; trying again later'));
  }, everyMs);
  timer.unref();
  return { sweep, close: () => clearInterval(timer) };
}
