import { Queue, Worker } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { NightlyReport } from '../monitoring/nightly-report.js';
import { createPgNightlyRunStore } from '../store/nightly-run-store.js';
import { purgeRecordTexts } from '../store/text-retention.js';
import { describeError, withSafeMessage } from '../error-description.js';
import type { RecordStore } from '../store/record-store.js';
import type pg from 'pg';
import { createJobService } from './job-service.js';
import { previousDay, runNightly, type DriftCheck, type NightlyDeps } from './nightly-run.js';
import { extractQueue, NIGHTLY_QUEUE, NIGHTLY_SCHEDULER_ID, type NightlyJobData } from './queues.js';

type NightlyConfig = Pick<
  Config,
  | 'inboxDir' | 'outboxDir' | 'queuePrefix' | 'jobBatchSize' | 'redisUrl' | 'databaseUrl' | 'nightlyCron' | 'nightlyTimeZone' | 'queueLockMs'
  | 'queueKeepCompletedSeconds' | 'queueKeepFailedSeconds' | 'recordTextRetentionDays'
>;

/** What runNightly needs, built on a process's Redis connection and PostgreSQL pool. */
export function createNightlyDeps(config: NightlyConfig, deps: { redis: RedisClient; pool: pg.Pool; store: RecordStore; drift?: DriftCheck }): NightlyDeps & { close(): Promise<void> } {
  const queue = extractQueue(deps.redis, config);
  const jobs = createJobService({ queue, redis: deps.redis, store: deps.store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
  return {
    inboxDir: config.inboxDir,
    outboxDir: config.outboxDir,
    jobs,
    runs: createPgNightlyRunStore(deps.pool),
    ...(deps.drift ? { drift: deps.drift } : {}),
    ...(config.recordTextRetentionDays > 0 ? { textRetention: { days: config.recordTextRetentionDays, purge: () => purgeRecordTexts(deps.pool, config.recordTextRetentionDays) } } : {}),
    close: () => queue.close(),
  };
}

/**
 * The `nightly` queue in a worker process: the job scheduler (created or updated to NIGHTLY_CRON in TZ at
 * every start, so a changed cron takes effect) and the processor, one day at a time.
 */
export async function startNightlyWorker(
  config: NightlyConfig,
  deps: { connection: RedisClient; nightly: NightlyDeps; logger: Logger; /** After each run (e.g. queue a retraining on a drift verdict). */ afterRun?: (day: string, report: NightlyReport) => Promise<void> },
): Promise<{ worker: Worker<NightlyJobData, NightlyReport>; queue: Queue<NightlyJobData>; close(): Promise<void> }> {
  const queue = new Queue<NightlyJobData>(NIGHTLY_QUEUE, { connection: deps.connection, prefix: config.queuePrefix });
  queue.on('error', () => {});
  await queue.upsertJobScheduler(
    NIGHTLY_SCHEDULER_ID,
    { pattern: config.nightlyCron, tz: config.nightlyTimeZone },
    { name: 'nightly-run', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker<NightlyJobData, NightlyReport>(
    NIGHTLY_QUEUE,
    async (job) => {
      const day = job.data.day ?? previousDay(new Date(job.timestamp), config.nightlyTimeZone);
      deps.logger.info({ job: job.id, day }, 'nightly run started');
      // BullMQ keeps a failed run's error in Redis: its message must quote no data.
      const report = await runNightly(day, { ...deps.nightly, onProgress: (progress) => job.updateProgress(progress) }).catch((error: unknown) => {
        throw withSafeMessage(error);
      });
      deps.logger.info({ job: job.id, day, notes: report.notes, seconds: report.seconds, driftLevel: (report.drift as { level?: string } | null)?.level }, 'nightly run done');
      await deps.afterRun?.(day, report);
      return report;
    },
    { connection: deps.connection, prefix: config.queuePrefix, concurrency: 1, lockDuration: config.queueLockMs },
  );
  worker.on('failed', (job, error) => deps.logger.error({ job: job?.id, day: job?.data.day, error: describeError(error) }, 'nightly run failed'));
  worker.on('error', (error) => deps.logger.error({ error: describeError(error) }, 'nightly worker error'));
  return {
    worker,
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
