import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { sweepFinishedJobs } from '../../src/queue/extract-batch-job.js';
import { createJobService } from '../../src/queue/job-service.js';
import { batchJobId, EXTRACT_QUEUE, extractQueue } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker } from '../../src/queue/start-worker.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { freshSchema, uniqueName } from '../helpers/services.js';

/**
 * The retention of note text in Redis, against the real Redis: a completed batch's job keeps note ids
 * only, a failed one keeps its notes until QUEUE_KEEP_FAILED_SECONDS, and then no key under the queue's
 * prefix holds a note's text.
 */
const silent = pino({ level: 'silent' });
const MARKER = 'QUOKKA-5521-retention-marker';

/** Every key under the prefix whose value (of whatever type) contains `needle`. */
async function keysHolding(redis: Redis, prefix: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string' ? await redis.get(key)
        : type === 'hash' ? await redis.hgetall(key)
        : type === 'list' ? await redis.lrange(key, 0, -1)
        : type === 'set' ? await redis.smembers(key)
        : type === 'zset' ? await redis.zrange(key, '0', '-1')
        : type === 'stream' ? await redis.xrange(key, '-', '+')
        : null;
      if (JSON.stringify(value).includes(needle)) found.push(key);
    }
  } while (cursor !== '0');
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('note text in Redis', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let config: Config;
  let redis: Redis;
  beforeAll(async () => {
    db = await freshSchema();
    config = { ...loadConfig(), databaseSchema: db.schema, queuePrefix: uniqueName('keep'), jobBatchSize: 3, queueKeepCompletedSeconds: 1, queueKeepFailedSeconds: 1 };
    redis = createRedisConnection(config.redisUrl, { forBullmq: true });
  });
  afterAll(async () => {
    const queue = extractQueue(redis, config);
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    await db.drop();
  });

  it('a completed job holds note ids only, and after QUEUE_KEEP_COMPLETED_SECONDS it is gone', async () => {
    const worker = await startWorker(config, { logger: silent });
    const queue = extractQueue(redis, config);
    const jobs = createJobService({ queue, redis, store: createPgRecordStore(db.pool), batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
    try {
      const notes = Array.from({ length: 7 }, (_, i) => ({ id: `keep-${i}`, text: `Asthma treated with salbutamol. ${MARKER} ${i}` }));
      const { jobId, batches } = await jobs.submit(notes);
      for (let i = 0; (await jobs.status(jobId))?.state !== 'completed'; i++) {
        if (i > 300) throw new Error('the job did not complete');
        await sleep(100);
      }
      // The records have their texts in PostgreSQL (for review); Redis has none of them.
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM records WHERE note_id LIKE 'keep-%' AND text LIKE $1", [`%${MARKER}%`]);
      expect(rows[0]?.n).toBe(7);
      for (let i = 0; ((await queue.getJobCounts('completed')).completed ?? 0) < batches; i++) {
        if (i > 100) throw new Error('the batches were not marked completed');
        await sleep(50);
      }
      expect(await keysHolding(redis, config.queuePrefix, MARKER)).toEqual([]);
      const kept = await queue.getJob(batchJobId(jobId, 0));
      expect(kept?.data).toEqual({ jobId, batch: 0, notes: [{ id: 'keep-0' }, { id: 'keep-1' }, { id: 'keep-2' }], textsDropped: true });

      await sleep(1_100);
      const removed = await sweepFinishedJobs(queue, config, silent).sweep();
      expect(removed).toBeGreaterThanOrEqual(batches);
      for (let batch = 0; batch < batches; batch++) expect(await queue.getJob(batchJobId(jobId, batch))).toBeUndefined();
      expect(await keysHolding(redis, config.queuePrefix, 'keep-0')).toEqual([]);
    } finally {
      await queue.close();
      await worker.close();
    }
  });

  it('a failed job keeps its notes for its retries until QUEUE_KEEP_FAILED_SECONDS; the sweep then removes them', async () => {
    const queue = extractQueue(redis, config);
    const connection = createRedisConnection(config.redisUrl, { forBullmq: true });
    // A worker that refuses every batch, in place of a PostgreSQL that stays down.
    const failing = new Worker(EXTRACT_QUEUE, async () => Promise.reject(new Error('PostgreSQL unreachable')), { connection, prefix: config.queuePrefix });
    try {
      const job = await queue.add('extract-batch', { jobId: randomUUID(), batch: 0, notes: [{ id: 'fail-1', text: `Gout. ${MARKER}` }] }, { attempts: 1 });
      for (let i = 0; !(await job.isFailed()); i++) {
        if (i > 100) throw new Error('the job did not fail');
        await sleep(50);
      }
      expect(await keysHolding(redis, config.queuePrefix, MARKER)).toEqual([`${config.queuePrefix}:${EXTRACT_QUEUE}:${job.id}`]);
      expect(await sweepFinishedJobs(queue, config, silent).sweep()).toBe(0);
      await sleep(1_100);
      expect(await sweepFinishedJobs(queue, config, silent).sweep()).toBe(1);
      expect(await keysHolding(redis, config.queuePrefix, MARKER)).toEqual([]);
    } finally {
      await failing.close();
      connection.disconnect();
      await queue.close();
    }
  });
});
