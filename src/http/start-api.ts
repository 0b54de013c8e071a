import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { createExtractor } from '../extractor.js';
import { createServiceMetrics } from '../monitoring/metrics.js';
import { createRedisConnection, notesProcessedKey, redisDependency, redisReady } from '../queue/redis-connection.js';
import { loadModel } from '../registry/model-store.js';
import { servingLoadOptions } from '../registry/serving-options.js';
import { watchProductionModel, type ModelReloader, type ModelState } from '../registry/model-reloader.js';
import type { ProcessModelState } from './routes/model-routes.js';
import { createDatabasePool, databaseDependency } from '../store/database.js';
import { describeError } from '../error-description.js';
import { buildApp } from './build-app.js';
import { finishResponsesOnClose } from './graceful-close.js';
import { Queue } from 'bullmq';
import { registerQueueMetrics } from '../monitoring/queue-metrics.js';
import { registerIngestMetrics } from '../monitoring/ingest-metrics.js';
import { registerNightlyMetrics } from '../monitoring/nightly-metrics.js';
import { createPgNightlyRunStore } from '../store/nightly-run-store.js';
import { createJobService } from '../queue/job-service.js';
import { extractQueue, NIGHTLY_QUEUE } from '../queue/queues.js';
import { sweepFinishedJobs } from '../queue/extract-batch-job.js';
import { migrate } from '../store/migrate.js';
import { createPgRecordStore } from '../store/record-store.js';
import { createPgReviewStore } from '../store/review-store.js';
import { createPgCorrectionStore } from '../store/correction-store.js';
import { retrainIfEnoughCorrections, trainQueue } from '../queue/train-queue.js';

export interface RunningApi {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Stops accepting, finishes in-flight requests, closes connections to Redis and PostgreSQL. */
  close(): Promise<void>;
  /** Follows the production pointer (absent when the version is fixed or MODEL_RELOAD_POLL_MS=0). */
  reloader: ModelReloader | undefined;
}

/** Loads the production model, wires the dependencies and listens. Redis and PostgreSQL may be absent. */
export interface StartApiOptions {
  modelVersion?: string;
  /** What GET /metrics answers (default: this process's registry); the cluster passes all workers' metrics. */
  exposition?: () => Promise<string>;
  onMetricsRegistry?: (registry: Registry) => void;
  /** This process's model state, at start and at every reload or refusal (the cluster relays it to the other processes). */
  onModelState?: (state: ProcessModelState) => void;
  /** Every API process's model state for GET /v1/models (default: this process's own). */
  modelProcesses?: (own: ProcessModelState) => ProcessModelState[];
}

export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  // Only the domains serving tags with (a reload keeps the option): the API never evaluates by corpus.
  const loaded = await loadModel(config.modelDir, options.modelVersion, { ...(await servingLoadOptions(config)), foldDomains: 'served' });
  const { model } = loaded;
  const metrics = createServiceMetrics();
  options.onMetricsRegistry?.(metrics.registry);
  const redis = createRedisConnection(config);
  const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, viaPgBouncer: config.databasePgBouncer, max: config.databasePoolMax });
  const store = createPgRecordStore(pool);
  const extractJobs = extractQueue(redis, config);
  const nightlyQueue = new Queue(NIGHTLY_QUEUE, { connection: redis, prefix: config.queuePrefix });
  nightlyQueue.on('error', () => {});
  registerQueueMetrics(metrics.registry, { queues: [extractJobs, nightlyQueue], redis, notesProcessedKey: notesProcessedKey(config.queuePrefix) });
  registerIngestMetrics(metrics.registry, { redis, prefix: config.queuePrefix });
  const nightlyRuns = createPgNightlyRunStore(pool);
  registerNightlyMetrics(metrics.registry, nightlyRuns);
  const corrections = createPgCorrectionStore(pool);
  const retrainQueue = trainQueue(redis, config.queuePrefix);
  const jobs = createJobService({ queue: extractJobs, redis, store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
  const extractor = createExtractor(model, metrics, config.extractSliceTokens, config.extractMaxCharsInFlight);
  // A version given at start (serve --model) stays; otherwise the process follows the production pointer.
  const hotReload = options.modelVersion === undefined && config.modelReloadPollMs > 0;
  let modelState: ProcessModelState = { pid: process.pid, version: model.version, loadedAt: new Date().toISOString(), refused: null, hotReload };
  const publishModelState = (state: ModelState): void => {
    modelState = { ...state, pid: process.pid, hotReload };
    options.onModelState?.(modelState);
  };
  options.onModelState?.(modelState);
  const app = await buildApp({
    config,
    extractor,
    metrics,
    models: { modelsDir: config.modelDir, processes: () => options.modelProcesses?.(modelState) ?? [modelState] },
    jobs,
    store,
    nightlyRuns,
    reviews: createPgReviewStore(pool),
    // The corrections trigger (RETRAIN_AFTER_CORRECTIONS), as `behealthy corrections import` does; without Redis the review still stands.
    onCorrections: async (log) => {
      if (config.retrainAfterCorrections <= 0 || !(await redisReady(redis))) return;
      const result = await retrainIfEnoughCorrections({ queue: retrainQueue, redis, prefix: config.queuePrefix, corrections, threshold: config.retrainAfterCorrections });
      if (result.queued) log.info({ corrections: result.corrections }, 'retraining queued by corrections');
    },
    queues: [extractJobs, nightlyQueue],
    dependencies: [redisDependency(redis, config), databaseDependency(pool, config.databaseUrl)],
    ...(options.exposition ? { exposition: options.exposition } : {}),
  });
  finishResponsesOnClose(app.server);
  // Finished jobs past QUEUE_KEEP_*_SECONDS are removed even when no batch finishes to trigger BullMQ's own pruning.
  const retentionSweeper = sweepFinishedJobs(extractJobs, config, app.log);
  const reloader = !hotReload
    ? undefined
    : watchProductionModel({
        modelsDir: config.modelDir,
        initial: loaded,
        pollMs: config.modelReloadPollMs,
        log: app.log,
        onSwap: (next) => {
          extractor.swap(next.model);
          metrics.modelReloads.inc();
        },
        onRefused: (refusal) => metrics.modelReloadRefusals.inc({ code: refusal.code }),
        onState: (state) => {
          metrics.modelReloadRefused.set(state.refused ? 1 : 0);
          publishModelState(state);
        },
      });
  app.addHook('onClose', async () => {
    await reloader?.close();
    retentionSweeper.close();
    await extractJobs.close().catch(() => {});
    await nightlyQueue.close().catch(() => {});
    await retrainQueue.close().catch(() => {});
    redis.disconnect();
    await pool.end();
  });
  // Workers migrate too; the API does it so that the record routes work before any worker has started.
  migrate(pool, config.databaseSchema).catch((error: unknown) => app.log.warn({ error: describeError(error) }, 'database not migrated (PostgreSQL unreachable?)'));
  collectGarbage();
  const url = await app.listen({ host: config.host, port: config.port });
  app.log.info({ url, modelVersion: extractor.modelVersion, hotReload, auth: config.apiKeys.length > 0 }, 'serving');
  return { app, url, close: () => app.close(), reloader };
}

/**
 * One full garbage collection, before the API listens: loading the model leaves tens of MB of garbage (the
 * model file's buffer, its weights under every domain's names, folded into the served tables), much of it
 * promoted to the old generation, which V8 collects only as it fills or when its memory reducer runs on an idle
 * process (40 s or more after the start, measured). With the workers' 8 MB semi-spaces an idle worker read
 * 235 MB 1 s after it started serving without this collection, 190 MB with it. The gc function comes from a
 * context of its own, so the process's global scope gets none.
 */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  gc();
}

/**
 * SIGTERM / SIGINT: stop accepting, let in-flight requests finish (buildApp answers new requests on
 * kept-alive connections with 503 NER_ERR_HTTP_SHUTTING_DOWN), then exit 0; exit 1 if that takes longer than the configured timeout.
 */
export function closeOnSignals(api: RunningApi, timeoutMs: number, exit: (code: number) => void = (code) => process.exit(code)): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    api.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      api.app.log.error({ timeoutMs }, 'in-flight requests did not finish in time; exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    api.close().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (error: unknown) => {
        api.app.log.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
