import type { Cluster, Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The AMQP bridge's figures. Bridge processes add their counts to a Redis hash (as the queue workers count
 * their notes) and write the depth of the queue they consume with the time they read it; the API reads both
 * at scrape time, so /metrics shows every bridge of the deployment, however many run. Nothing is reported
 * while Redis is down (the scrape still succeeds).
 */

export const INGEST_EVENTS = ['consumed', 'acked', 'dead_lettered', 'published'] as const;
export type IngestEvent = (typeof INGEST_EVENTS)[number];

/** A depth older than this is not reported: no bridge has read it lately. */
export const INGEST_DEPTH_MAX_AGE_MS = 60_000;

export function ingestCountsKey(prefix: string): string {
  return `${prefix}:behealthy:ingest-amqp:counts`;
}

export function ingestDepthKey(prefix: string): string {
  return `${prefix}:behealthy:ingest-amqp:depth`;
}

/** What a bridge adds to the counts: events, and dead-lettered messages per error code. */
export interface IngestCounts {
  events: Partial<Record<IngestEvent, number>>;
  deadLetteredByCode: Record<string, number>;
}

/** Adds a bridge's counts to the shared hash (fields `event:<name>` and `code:<NER_ERR_…>`). */
export async function addIngestCounts(redis: Redis | Cluster, prefix: string, counts: IngestCounts): Promise<void> {
  const key = ingestCountsKey(prefix);
  const pipeline = redis.pipeline();
  for (const [event, n] of Object.entries(counts.events)) if (n) pipeline.hincrby(key, `event:${event}`, n);
  for (const [code, n] of Object.entries(counts.deadLetteredByCode)) if (n) pipeline.hincrby(key, `code:${code}`, n);
  if (pipeline.length > 0) await pipeline.exec();
}

/** Records the depth of a consumed queue (messages ready, consumers) as read from the broker now. */
export async function setIngestDepth(redis: Redis | Cluster, prefix: string, queue: string, depth: { messages: number; consumers: number }, now = Date.now()): Promise<void> {
  await redis.hset(ingestDepthKey(prefix), queue, JSON.stringify({ ...depth, at: now }));
}

export function registerIngestMetrics(registry: Registry, { redis, prefix, now = Date.now }: { redis: Redis | Cluster; prefix: string; now?: () => number }): void {
  const readCounts = async (): Promise<Record<string, string>> => (redis.status === 'ready' ? await redis.hgetall(ingestCountsKey(prefix)).catch(() => ({})) : {});
  const seen = new Map<string, number>();
  const advance = (counter: Counter<string>, field: string, labels: Record<string, string>, total: number): void => {
    const before = seen.get(field) ?? 0;
    if (total > before) counter.inc(labels, total - before);
    seen.set(field, Math.max(before, total));
  };
  new Counter({
    name: 'behealthy_amqp_messages_total',
    help: 'Messages of the AMQP bridge by event: consumed (deliveries, redeliveries included), acked (after their record committed), dead_lettered, published (records confirmed by the broker)',
    labelNames: ['event'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const counts = await readCounts();
      for (const event of INGEST_EVENTS) {
        this.inc({ event }, 0);
        advance(this, `event:${event}`, { event }, Number(counts[`event:${event}`] ?? 0));
      }
    },
  });
  new Counter({
    name: 'behealthy_amqp_dead_lettered_total',
    help: 'Messages the AMQP bridge moved to the dead-letter queue, by error code (docs/errors.md)',
    labelNames: ['code'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const counts = await readCounts();
      for (const [field, value] of Object.entries(counts)) {
        if (field.startsWith('code:')) advance(this, field, { code: field.slice('code:'.length) }, Number(value));
      }
    },
  });
  const depths = async (): Promise<{ queue: string; messages: number; consumers: number }[]> => {
    if (redis.status !== 'ready') return [];
    const entries = await redis.hgetall(ingestDepthKey(prefix)).catch(() => ({}) as Record<string, string>);
    return Object.entries(entries).flatMap(([queue, json]) => {
      try {
        const depth = JSON.parse(json) as { messages: number; consumers: number; at: number };
        return now() - depth.at <= INGEST_DEPTH_MAX_AGE_MS ? [{ queue, messages: depth.messages, consumers: depth.consumers }] : [];
      } catch {
        return [];
      }
    });
  };
  new Gauge({
    name: 'behealthy_amqp_queue_messages',
    help: 'Messages ready in the queue the AMQP bridge consumes (the consumer lag), as a bridge last read it',
    labelNames: ['queue'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { queue, messages } of await depths()) this.set({ queue }, messages);
    },
  });
  new Gauge({
    name: 'behealthy_amqp_queue_consumers',
    help: 'Consumers of the queue the AMQP bridge consumes, as a bridge last read it',
    labelNames: ['queue'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { queue, consumers } of await depths()) this.set({ queue }, consumers);
    },
  });
}
