import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';

const STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;

/**
 * Queue figures read from Redis at scrape time: jobs per queue and state, and the notes the workers
 * processed (a counter kept in Redis by every worker; notes/s is its rate). Nothing is reported while
 * Redis is down (the scrape still succeeds).
 */
/** notesProcessedKey: the Redis key the workers count processed notes in (queue/redis-connection.ts names it). */
export function registerQueueMetrics(registry: Registry, { queues, redis, notesProcessedKey }: { queues: readonly Queue[]; redis: Redis | Cluster; notesProcessedKey: string }): void {
  new Gauge({
    name: 'behealthy_queue_jobs',
    help: 'Jobs per queue and state (a job of the extract queue is a batch of notes)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      this.reset();
      if (redis.status !== 'ready') return;
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...STATES).catch(() => undefined);
        if (!counts) continue;
        for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  let seen = 0;
  new Counter({
    name: 'behealthy_queue_notes_processed_total',
    help: 'Notes processed by the queue workers (done or failed); rate() gives notes/s',
    registers: [registry],
    aggregator: 'max',
    async collect() {
      if (redis.status !== 'ready') return;
      const total = Number((await redis.get(notesProcessedKey).catch(() => null)) ?? 0);
      if (total > seen) this.inc(total - seen);
      seen = Math.max(seen, total);
    },
  });
}
