import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { createExtractor } from '../extractor.js';
import { createServiceMetrics } from '../monitoring/metrics.js';
import { createRedisConnection, redisDependency } from '../queue/redis-connection.js';
import { loadModel } from '../registry/model-store.js';
import { createDatabasePool, databaseDependency } from '../store/database.js';
import { buildApp } from './build-app.js';

export interface RunningApi {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Stops accepting, finishes in-flight requests, closes connections to Redis and PostgreSQL. */
  close(): Promise<void>;
}

/** Loads the production model, wires the dependencies and listens. Redis and PostgreSQL may be absent. */
export interface StartApiOptions {
  modelVersion?: string;
  /** What GET /metrics answers (default: this process's registry); the cluster passes all workers' metrics. */
  exposition?: () => Promise<string>;
  onMetricsRegistry?: (registry: Registry) => void;
}

export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  const { model } = await loadModel(config.modelDir, options.modelVersion);
  const metrics = createServiceMetrics();
  options.onMetricsRegistry?.(metrics.registry);
  const redis = createRedisConnection(config.redisUrl);
  const pool = createDatabasePool(config.databaseUrl, { max: 2 });
  const app = await buildApp({
    config,
    extractor: createExtractor(model, metrics, config.extractSliceTokens || Infinity),
    metrics,
    dependencies: [redisDependency(redis, config.redisUrl), databaseDependency(pool, config.databaseUrl)],
    ...(options.exposition ? { exposition: options.exposition } : {}),
  });
  // Responses finished after close() began tell the client to drop the connection; otherwise a
  // kept-alive connection that goes idle after close() would hold the server open until it times out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    redis.disconnect();
    await pool.end();
  });
  const url = await app.listen({ host: config.host, port: config.port });
  app.log.info({ url, modelVersion: model.version, auth: config.apiKeys.length > 0 }, 'serving');
  return { app, url, close: () => app.close() };
}

/**
 * SIGTERM / SIGINT: stop accepting, let in-flight requests finish (Fastify answers new requests on
 * kept-alive connections with 503), then exit 0; exit 1 if that takes longer than the configured timeout.
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
