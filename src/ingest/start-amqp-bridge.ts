import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { Connection } from 'rabbitmq-client';
import { redactUrl, type Config } from '../config.js';
import { describeError } from '../error-description.js';
import { createExtractor, type Extractor } from '../extractor.js';
import { addIngestCounts, setIngestDepth } from '../monitoring/ingest-metrics.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { servingLoadOptions } from '../registry/serving-options.js';
import { watchProductionModel, type ModelReloader } from '../registry/model-reloader.js';
import { loadModel } from '../registry/model-store.js';
import { createDatabasePool } from '../store/database.js';
import { migrateWhenReachable } from '../store/migrate.js';
import { createPgRecordStore } from '../store/record-store.js';
import { startAmqpBridge, type AmqpBridge } from './amqp-bridge.js';

export type BridgeConfig = Pick<
  Config,
  | 'amqpUrl' | 'amqpQueue' | 'amqpExchange' | 'amqpDeadLetterQueue' | 'amqpPrefetch' | 'jobBatchSize' | 'maxNoteChars' | 'modelDir' | 'modelReloadPollMs'
  | 'extractSliceTokens' | 'databaseUrl' | 'databaseSchema' | 'databasePgBouncer' | 'redisUrl' | 'redisSentinels' | 'redisSentinelName' | 'redisClusterNodes' | 'queuePrefix' | 'logLevel' | 'conceptCodes' | 'lexiconDir' | 'brandsFile'
>;

export interface RunningBridge {
  bridge: AmqpBridge;
  logger: Logger;
  /** The submission the bridge's records are stored under. */
  submissionId: string;
  /** Stops consuming, finishes the messages in hand, closes the broker, Redis and PostgreSQL connections. */
  close(): Promise<void>;
}

/** The submission id of a queue's records: the same UUID for the same queue name, whichever process consumes it. */
export function bridgeSubmissionId(queue: string): string {
  const hex = createHash('sha256').update(`amqp:${queue}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The bridge as a process (`behealthy ingest amqp`, or beside the queue worker with `behealthy worker --amqp`):
 * migrates the database, loads the production model (following promotions) unless an extractor is handed in,
 * connects to the broker (rabbitmq-client reconnects with backoff, 250 ms doubling to 10 s, whenever the
 * connection is lost, and the consumer and publisher set themselves up again), and reports its counts and
 * the queue's depth to Redis for the API's /metrics.
 */
export async function startBridgeProcess(config: BridgeConfig, options: { logger?: Logger; extractor?: Extractor; connectionName?: string } = {}): Promise<RunningBridge> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { role: 'ingest-amqp', pid: process.pid } });
  let extractor = options.extractor;
  let reloader: ModelReloader | undefined;
  if (!extractor) {
    const loaded = await loadModel(config.modelDir, undefined, await servingLoadOptions(config));
    const swappable = createExtractor(loaded.model, undefined, config.extractSliceTokens);
    extractor = swappable;
    if (config.modelReloadPollMs > 0) {
      reloader = watchProductionModel({ modelsDir: config.modelDir, initial: loaded, pollMs: config.modelReloadPollMs, log: logger, onSwap: (next) => swappable.swap(next.model) });
    }
  }
  const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, viaPgBouncer: config.databasePgBouncer, max: 3 });
  const applied = await migrateWhenReachable(pool, config.databaseSchema, {
    onUnreachable: (attempt, delayMs, error) =>
      logger.warn({ attempt, retryInMs: delayMs, error: error.message, database: redactUrl(config.databaseUrl) }, 'PostgreSQL unreachable: cannot migrate the database yet; trying again'),
  });
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  const store = createPgRecordStore(pool);
  const submissionId = bridgeSubmissionId(config.amqpQueue);
  await store.createSubmission({ jobId: submissionId, notes: 0, batches: 0, source: `amqp:${config.amqpQueue}` });

  const redis = createRedisConnection(config);
  redis.connect().catch(() => {});
  const connection = new Connection({
    url: config.amqpUrl,
    connectionName: options.connectionName ?? `behealthy-ingest@${hostname()}:${process.pid}`,
    retryLow: 250,
    retryHigh: 10_000,
    heartbeat: 30,
  });
  let lost = false;
  connection.on('error', (error: unknown) => {
    lost = true;
    logger.warn({ error: describeError(error), broker: redactUrl(config.amqpUrl) }, 'AMQP connection error; reconnecting with backoff');
  });
  connection.on('connection', () => logger.info({ broker: redactUrl(config.amqpUrl), reconnected: lost }, 'AMQP connected'));

  const bridge = startAmqpBridge({
    connection,
    queue: config.amqpQueue,
    exchange: config.amqpExchange,
    deadLetterQueue: config.amqpDeadLetterQueue,
    prefetch: config.amqpPrefetch,
    batchSize: config.jobBatchSize,
    maxNoteChars: config.maxNoteChars,
    extractor,
    store,
    submissionId,
    logger,
    report: {
      counts: (counts) => addIngestCounts(redis, config.queuePrefix, counts),
      depth: (depth) => setIngestDepth(redis, config.queuePrefix, config.amqpQueue, depth),
    },
  });
  logger.info({ queue: config.amqpQueue, exchange: config.amqpExchange, deadLetterQueue: config.amqpDeadLetterQueue, prefetch: config.amqpPrefetch, modelVersion: extractor.modelVersion }, 'AMQP bridge started');
  return {
    bridge,
    logger,
    submissionId,
    async close() {
      await bridge.close();
      await connection.close();
      await reloader?.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

/** SIGTERM / SIGINT: stop consuming, finish the messages in hand (stored, published, acknowledged), exit 0. */
export function closeBridgeOnSignals(running: Pick<RunningBridge, 'close' | 'logger'>, exit: (code: number) => void = (code) => process.exit(code)): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    running.logger.info({ signal }, 'AMQP bridge shutting down: finishing the messages in hand');
    running.close().then(
      () => exit(0),
      (error: unknown) => {
        running.logger.error({ error: describeError(error) }, 'AMQP bridge shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
