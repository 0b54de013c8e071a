import { Worker } from 'bullmq';
import { pino, type Logger } from 'pino';
import { redactUrl, type Config } from '../config.js';
import { createExtractor, type Extractor } from '../extractor.js';
import { loadModel, type LoadedModel } from '../registry/model-store.js';
import { servingLoadOptions } from '../registry/serving-options.js';
import { watchProductionModel, type ModelReloader } from '../registry/model-reloader.js';
import { createDatabasePool } from '../store/database.js';
import { migrateWhenReachable } from '../store/migrate.js';
import { createPgRecordStore } from '../store/record-store.js';
import { runExtractBatchJob } from './extract-batch-job.js';
import { createNightlyDeps, startNightlyWorker } from './nightly-service.js';
import { retrainOnDrift, startTrainWorker, trainQueue } from './train-queue.js';
import { retrain } from '../training/retrain.js';
import { createPgCorrectionStore } from '../store/correction-store.js';
import { hostname } from 'node:os';
import type { DriftCheck } from './nightly-run.js';
import { driftOfNotes, notesWithRecords, trainingProfileOf } from '../monitoring/drift-check.js';
import { EXTRACT_QUEUE, type ExtractBatchData, type ExtractBatchResult } from './queues.js';
import { createRedisConnection, notesProcessedKey } from './redis-connection.js';

export interface RunningWorker {
  worker: Worker<ExtractBatchData, ExtractBatchResult>;
  logger: Logger;
  /** Extracts with the production model, swapped by the reloader when another version is promoted. */
  extractor: Extractor;
  /** Follows the production pointer (absent when MODEL_RELOAD_POLL_MS=0). */
  reloader: ModelReloader | undefined;
  /** Finishes the batches in hand, then closes Redis and PostgreSQL. */
  close(): Promise<void>;
}

/**
 * The worker process: migrates the database, then processes `extract` batches. A worker that dies
 * mid-batch (SIGKILL, OOM) leaves the batch's lock to expire after QUEUE_LOCK_MS; another worker then
 * takes it up again (BullMQ's stalled-job check), and the upserts make the second run harmless.
 */
export async function startWorker(config: Config, options: { logger?: Logger; /** Also run the nightly queue and its scheduler. */ nightly?: boolean } = {}): Promise<RunningWorker> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { role: 'worker', pid: process.pid } });
  const loaded = await loadModel(config.modelDir, undefined, await servingLoadOptions(config));
  const { model } = loaded;
  const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, viaPgBouncer: config.databasePgBouncer, max: config.workerConcurrency + 1 });
  const applied = await migrateWhenReachable(pool, config.databaseSchema, {
    onUnreachable: (attempt, delayMs, error) =>
      logger.warn({ attempt, retryInMs: delayMs, error: error.message, database: redactUrl(config.databaseUrl) }, 'PostgreSQL unreachable: cannot migrate the database yet; trying again'),
  });
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  const store = createPgRecordStore(pool);
  const extractor = createExtractor(model, undefined, config.extractSliceTokens);
  // The nightly drift check follows the model too: the training profile is the serving version's.
  let driftCheck = options.nightly ? nightlyDriftCheck(config, loaded, logger) : undefined;
  const reloader =
    config.modelReloadPollMs > 0
      ? watchProductionModel({
          modelsDir: config.modelDir,
          initial: loaded,
          pollMs: config.modelReloadPollMs,
          log: logger,
          onSwap: (next) => {
            extractor.swap(next.model);
            if (options.nightly) driftCheck = nightlyDriftCheck(config, next, logger);
          },
        })
      : undefined;
  const connection = createRedisConnection(config, { forBullmq: true });
  const counters = createRedisConnection(config, { forBullmq: true });
  const worker = new Worker<ExtractBatchData, ExtractBatchResult>(
    EXTRACT_QUEUE,
    async (job) => {
      const result = await runExtractBatchJob(job, { extractor, store, maxNoteChars: config.maxNoteChars });
      await counters.incrby(notesProcessedKey(config.queuePrefix), result.done + result.failed);
      return result;
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.workerConcurrency,
      lockDuration: config.queueLockMs,
      stalledInterval: config.queueLockMs,
      maxStalledCount: 3,
    },
  );
  worker.on('completed', (job, result) => logger.info({ job: job.id, ...result, ms: job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : undefined }, 'batch done'));
  worker.on('failed', (job, error) => logger.warn({ job: job?.id, attempt: job?.attemptsMade, error: error.message }, 'batch failed; BullMQ retries it with backoff'));
  worker.on('error', (error) => logger.error({ error: error.message }, 'worker error'));
  // The nightly queue, its scheduler and processor: in worker processes (behealthy batch runs a day itself).
  const nightlyDeps = !options.nightly
    ? undefined
    : createNightlyDeps(config, { redis: counters, pool, store, drift: (notes, records) => (driftCheck ? driftCheck(notes, records) : Promise.resolve(null)) });
  // The train queue (retraining) runs beside the nightly one; a nightly drift verdict of `retrain` queues one.
  const retraining = options.nightly ? trainQueue(counters, config.queuePrefix) : undefined;
  const trainWorker = retraining
    ? startTrainWorker({
        connection, prefix: config.queuePrefix, logger,
        retrain: async (data) => retrain({
          corpusDir: config.corpusDir, lexiconDir: config.lexiconDir, notesFile: config.notesFile, modelDir: config.modelDir, runsDir: config.runsDir,
          corrections: await createPgCorrectionStore(pool).latestPerNote(), margin: config.retrainMargin, trigger: data.trigger,
          ...(data.detail ? { detail: data.detail } : {}), by: `train-queue@${hostname()}`,
        }),
      })
    : undefined;
  const nightly = nightlyDeps
    ? await startNightlyWorker(config, {
        connection, nightly: nightlyDeps, logger,
        afterRun: async (day, report) => {
          if (retraining && (await retrainOnDrift(retraining, day, report.drift as { level?: string; score?: number } | null))) {
            logger.info({ day }, 'drift verdict retrain: retraining queued');
          }
        },
      })
    : undefined;
  logger.info({ queue: EXTRACT_QUEUE, concurrency: config.workerConcurrency, modelVersion: extractor.modelVersion, hotReload: reloader !== undefined, nightly: nightly ? { cron: config.nightlyCron, tz: config.nightlyTimeZone } : false }, 'worker started');
  return {
    worker,
    logger,
    extractor,
    reloader,
    async close() {
      await reloader?.close();
      await nightly?.close();
      await nightlyDeps?.close();
      await trainWorker?.close();
      await retraining?.close();
      await worker.close();
      counters.disconnect();
      connection.disconnect();
      await pool.end();
    },
  };
}

/** SIGTERM / SIGINT: finish the batches in hand (their records are written), then exit 0. */
export function closeWorkerOnSignals(running: RunningWorker, exit: (code: number) => void = (code) => process.exit(code)): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    running.logger.info({ signal }, 'worker shutting down: finishing the batches in hand');
    running.close().then(
      () => exit(0),
      (error: unknown) => {
        running.logger.error({ error: String(error) }, 'worker shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/**
 * The drift check of nightly runs: the day's notes (with their records, so nothing is extracted twice)
 * against the training profile in the model card. A card without one gives none, said once in the log.
 */
export function nightlyDriftCheck(config: Pick<Config, 'driftThresholds'>, loaded: LoadedModel, logger?: Logger): DriftCheck | undefined {
  if (!loaded.card.trainingProfile) {
    logger?.warn({ modelVersion: loaded.card.version }, 'the model card has no training profile: nightly runs will not measure drift');
    return undefined;
  }
  const profile = trainingProfileOf(loaded.card);
  return async (notes, records) => driftOfNotes(loaded.model, profile, notesWithRecords(notes, records), config.driftThresholds);
}
