import type { AsyncMessage, Connection, Consumer, Publisher } from 'rabbitmq-client';
import type { Logger } from 'pino';
import type { ExtractionRecord } from '../core/text/types.js';
import type { Extractor } from '../extractor.js';
import { describeError } from '../error-description.js';
import type { IngestCounts, IngestEvent } from '../monitoring/ingest-metrics.js';
import { processExtractBatch } from '../queue/extract-batch-processor.js';
import type { RecordStore } from '../store/record-store.js';
import { isRejected, readNoteMessage, type IngestNote, type RejectedMessage } from './note-message.js';

/** The routing key of the records published to the records exchange. */
export const RECORD_ROUTING_KEY = 'record';
/** Headers of a dead-lettered message: the error code (docs/errors.md) and the reason, which never quotes the note. */
export const ERROR_CODE_HEADER = 'x-behealthy-error-code';
export const ERROR_REASON_HEADER = 'x-behealthy-error-reason';
export const SOURCE_QUEUE_HEADER = 'x-behealthy-source-queue';

export interface AmqpBridgeOptions {
  /** A rabbitmq-client connection: it reconnects with backoff by itself, and the consumer and publisher follow. */
  connection: Connection;
  queue: string;
  exchange: string;
  deadLetterQueue: string;
  /** basic.qos prefetch: the most messages held unacknowledged, hence the bound of notes in memory. */
  prefetch: number;
  /** Notes extracted and committed together (one transaction); at most `prefetch`. */
  batchSize: number;
  /** How long a batch that is not full waits for more messages before it is processed. */
  lingerMs?: number;
  maxNoteChars: number;
  extractor: Extractor;
  store: RecordStore;
  /** The submission the bridge's records belong to (GET /v1/jobs/:id/records lists them). */
  submissionId: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Where counts go (Redis for /metrics), every `reportEveryMs` and at close; a failure is logged and the counts kept for the next time. */
  report?: {
    counts(counts: IngestCounts): Promise<void>;
    depth(depth: { messages: number; consumers: number }): Promise<void>;
    everyMs?: number;
  };
  /** Waits between attempts to store a batch while PostgreSQL refuses connections (ms): doubling from the first to the last. */
  storeRetryMs?: { first: number; last: number };
}

export interface AmqpBridgeStats {
  consumed: number;
  acked: number;
  deadLettered: number;
  published: number;
  /** Batches committed. */
  batches: number;
}

export interface AmqpBridge {
  readonly stats: Readonly<AmqpBridgeStats>;
  /** Resolves once the consumer is set up on the broker (queue declared, consuming). */
  ready(): Promise<void>;
  /** Stops consuming, finishes the messages in hand (stored, published, acknowledged), then closes the channels (not the connection). */
  close(): Promise<void>;
}

interface Pending {
  note: IngestNote;
  message: AsyncMessage;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The AMQP bridge: notes `{ id, text, …metadata }` consumed from a queue with a bounded prefetch, extracted
 * and committed by the bulk jobs' batch processor (the same extraction, the same upsert by note id), each
 * record then published to the records exchange with a publisher confirm, and only then the message
 * acknowledged. A crash anywhere before the acknowledgement leaves the message to the broker, which delivers
 * it again: at least once, and the upsert by note id makes a second delivery harmless. A message that is not
 * a note goes to the dead-letter queue with its reason in headers and is acknowledged, never requeued.
 */
export function startAmqpBridge(options: AmqpBridgeOptions): AmqpBridge {
  const { connection, queue, exchange, deadLetterQueue, logger } = options;
  const batchSize = Math.max(1, Math.min(options.batchSize, options.prefetch));
  const lingerMs = options.lingerMs ?? 20;
  const retry = options.storeRetryMs ?? { first: 250, last: 5_000 };
  const stats: AmqpBridgeStats = { consumed: 0, acked: 0, deadLettered: 0, published: 0, batches: 0 };
  let unreported: IngestCounts = { events: {}, deadLetteredByCode: {} };
  const count = (event: IngestEvent, n = 1): void => {
    unreported.events[event] = (unreported.events[event] ?? 0) + n;
  };
  let closing = false;
  let batchNumber = 0;

  const publisher: Publisher = connection.createPublisher({
    confirm: true,
    maxAttempts: 5,
    exchanges: [{ exchange, type: 'topic', durable: true }],
    queues: [{ queue: deadLetterQueue, durable: true }],
  });
  publisher.on('retry', (error: unknown) => logger.warn({ error: describeError(error) }, 'AMQP publish failed; trying again'));

  const deadLetter = async (message: AsyncMessage, rejected: RejectedMessage): Promise<void> => {
    const body = Buffer.isBuffer(message.body) ? message.body : Buffer.from(typeof message.body === 'string' ? message.body : JSON.stringify(message.body));
    await publisher.send(
      {
        routingKey: deadLetterQueue,
        durable: true,
        ...(message.contentType ? { contentType: message.contentType } : {}),
        ...(message.messageId ? { messageId: message.messageId } : {}),
        ...(message.correlationId ? { correlationId: message.correlationId } : {}),
        headers: { ...(message.headers ?? {}), [ERROR_CODE_HEADER]: rejected.code, [ERROR_REASON_HEADER]: rejected.reason, [SOURCE_QUEUE_HEADER]: queue },
      },
      body,
    );
    stats.deadLettered += 1;
    count('dead_lettered');
    unreported.deadLetteredByCode[rejected.code] = (unreported.deadLetteredByCode[rejected.code] ?? 0) + 1;
    logger.warn({ messageId: message.messageId, deliveryTag: message.deliveryTag, code: rejected.code, reason: rejected.reason }, 'message dead-lettered');
  };

  const publishRecord = async (record: ExtractionRecord, metadata: Record<string, unknown>): Promise<void> => {
    await publisher.send(
      {
        exchange,
        routingKey: RECORD_ROUTING_KEY,
        durable: true,
        contentType: 'application/json',
        messageId: record.noteId as string,
        headers: { 'x-behealthy-model-version': record.modelVersion },
      },
      Buffer.from(JSON.stringify({ noteId: record.noteId, record, metadata })),
    );
    stats.published += 1;
    count('published');
  };

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Extracts and commits the notes with the batch processor; returns each committed record by note id.
   * Throws `extraction` when extracting threw (before anything was written), any other error from storing.
   */
  const extractAndStore = async (notes: readonly IngestNote[]): Promise<Map<string, ExtractionRecord>> => {
    const committed = new Map<string, ExtractionRecord>();
    let storing = false;
    const store: RecordStore = {
      ...options.store,
      async saveBatch(batch) {
        storing = true;
        await options.store.saveBatch(batch);
        for (const record of batch.records) committed.set(record.noteId as string, record);
      },
    };
    batchNumber += 1;
    try {
      await processExtractBatch({ jobId: options.submissionId, batch: batchNumber, notes: notes.map((n) => ({ id: n.id, text: n.text })) }, { extractor: options.extractor, store, maxNoteChars: options.maxNoteChars });
    } catch (error) {
      throw storing ? error : new ExtractionError(error);
    }
    return committed;
  };

  /** Stores the batch, retrying while PostgreSQL is down (until the bridge closes); a note whose extraction throws is dead-lettered alone. */
  const storeWithRetry = async (items: readonly Pending[]): Promise<Map<string, ExtractionRecord>> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await extractAndStore(items.map((item) => item.note));
      } catch (error) {
        if (error instanceof ExtractionError) {
          if (items.length === 1) throw error;
          // Find the note that throws: each alone.
          const committed = new Map<string, ExtractionRecord>();
          for (const item of items) {
            try {
              for (const [id, record] of await storeWithRetry([item])) committed.set(id, record);
            } catch (single) {
              if (!(single instanceof ExtractionError)) throw single;
              logger.error({ noteId: item.note.id, error: describeError(single.cause) }, 'extracting a note failed');
            }
          }
          return committed;
        }
        if (closing && attempt >= 2) throw error;
        const wait = Math.min(retry.last, retry.first * 2 ** attempt);
        logger.warn({ notes: items.length, attempt: attempt + 1, retryInMs: wait, error: describeError(error) }, 'storing a batch failed; trying again (its messages stay unacknowledged)');
        await sleep(wait);
      }
    }
  };

  const processBatch = async (items: Pending[]): Promise<void> => {
    const started = performance.now();
    let committed: Map<string, ExtractionRecord>;
    try {
      committed = await storeWithRetry(items);
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    stats.batches += 1;
    const stored = performance.now();
    await Promise.all(
      items.map(async (item) => {
        const record = committed.get(item.note.id);
        try {
          if (record) await publishRecord(record, item.note.metadata);
          else await deadLetter(item.message, { code: 'NER_ERR_INGEST_EXTRACTION_FAILED', reason: 'extracting the note failed; the bridge log has the error under its id' });
          item.resolve();
        } catch (error) {
          item.reject(error);
        }
      }),
    );
    logger.debug({ notes: items.length, storeMs: Math.round(stored - started), publishMs: Math.round(performance.now() - stored) }, 'batch committed and published');
  };

  let waiting: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const items = waiting;
    waiting = [];
    if (items.length > 0) void processBatch(items);
  };
  const enqueue = (note: IngestNote, message: AsyncMessage): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ note, message, resolve, reject });
      if (waiting.length >= batchSize) flush();
      else timer ??= setTimeout(flush, lingerMs);
    });

  // Counts and queue depth for /metrics.
  const report = async (): Promise<void> => {
    if (!options.report) return;
    const counts = unreported;
    unreported = { events: {}, deadLetteredByCode: {} };
    try {
      await options.report.counts(counts);
    } catch (error) {
      // Kept for the next report.
      for (const [event, n] of Object.entries(counts.events)) count(event as IngestEvent, n);
      for (const [code, n] of Object.entries(counts.deadLetteredByCode)) unreported.deadLetteredByCode[code] = (unreported.deadLetteredByCode[code] ?? 0) + n;
      logger.debug({ error: describeError(error) }, 'reporting the bridge counts failed; kept for the next report');
    }
    if (closing || !connection.ready) return;
    try {
      const declared = await connection.queueDeclare({ queue, passive: true });
      await options.report.depth({ messages: declared.messageCount, consumers: declared.consumerCount });
    } catch (error) {
      logger.debug({ error: describeError(error) }, 'reading the queue depth failed');
    }
  };
  const consumer: Consumer = connection.createConsumer(
    {
      queue,
      // The queue is checked, not declared, on every (re)connection: the platform may own it with arguments of its own.
      queueOptions: { queue, passive: true },
      lazy: true,
      qos: { prefetchCount: options.prefetch },
      concurrency: options.prefetch,
      // A message whose handling failed (broker or database gone) goes back to the queue; bad messages never get here.
      requeue: true,
    },
    async (message) => {
      stats.consumed += 1;
      count('consumed');
      const read = readNoteMessage(message.body, options.maxNoteChars);
      if (isRejected(read)) await deadLetter(message, read);
      else await enqueue(read, message);
      stats.acked += 1;
      count('acked');
    },
  );
  consumer.on('error', (error: unknown) => logger.warn({ error: describeError(error) }, 'AMQP consumer error (the message, if any, goes back to the queue; the consumer recovers by itself)'));
  const ready = new Promise<void>((resolve) => consumer.once('ready', () => resolve()));
  consumer.on('ready', () => {
    logger.info({ queue, prefetch: options.prefetch, batchSize }, 'consuming');
    void report();
  });
  // A queue that does not exist yet is declared durable, once; then consuming starts.
  void connection
    .queueDeclare({ queue, passive: true })
    .catch(() => connection.queueDeclare({ queue, durable: true }))
    .catch((error: unknown) => logger.warn({ error: describeError(error), queue }, 'declaring the queue failed; the consumer retries'))
    .finally(() => {
      if (!closing) consumer.start();
    });

  const reporter = options.report ? setInterval(() => void report(), options.report.everyMs ?? 5_000) : undefined;
  reporter?.unref();

  return {
    stats,
    ready: () => ready,
    async close() {
      closing = true;
      if (reporter) clearInterval(reporter);
      // Stops consuming, waits for the handlers in hand (a batch not yet full is processed now), closes the channel.
      const closed = consumer.close();
      flush();
      await closed;
      flush();
      await publisher.close();
      await report();
    },
  };
}

class ExtractionError extends Error {
  constructor(cause: unknown) {
    super('extraction failed', { cause });
  }
}
