import { Redis } from 'ioredis';
import { redactUrl } from '../config.js';
import type { DependencyCheck } from '../dependency-check.js';

/**
 * A Redis connection that tolerates Redis being absent: it connects lazily, retries in the background,
 * and fails commands at once instead of queueing them while disconnected, so a route that needs the queue
 * can answer 503 immediately. `maxRetriesPerRequest: null` is what BullMQ requires of its connections.
 */
export function createRedisConnection(url: string, options: { forBullmq?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    enableOfflineQueue: options.forBullmq ?? false,
    maxRetriesPerRequest: options.forBullmq ? null : 1,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
  });
  // Without a listener an unreachable Redis would be an unhandled 'error' event; /ready reports the state.
  redis.on('error', () => {});
  return redis;
}

/**
 * Starts a lazy connection that has not been used yet, waits for a first connection already under way
 * (a Queue starts one as soon as it is built), and says whether it is connected. A connection that is
 * reconnecting after a loss is not waited for: routes answer 503 at once while Redis is down.
 */
export async function redisReady(redis: Redis, waitMs = 2_000): Promise<boolean> {
  if (redis.status === 'wait') await redis.connect().catch(() => {});
  if (redis.status === 'connecting' || redis.status === 'connect') await settled(redis, waitMs);
  return redis.status === 'ready';
}

function settled(redis: Redis, waitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done).off('error', done).off('end', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    redis.once('ready', done).once('error', done).once('end', done);
  });
}

export function redisDependency(redis: Redis, url: string): DependencyCheck {
  return {
    name: 'redis',
    neededBy: 'the bulk job queue (POST /v1/jobs) and the nightly batch',
    hint: `start Redis at ${redactUrl(url)} or set REDIS_URL`,
    async check() {
      if (!(await redisReady(redis))) throw new Error(`not connected (${redis.status})`);
      await redis.ping();
    },
  };
}

/** Redis key counting notes the workers processed (the API exports it as a Prometheus counter). */
export function notesProcessedKey(prefix: string): string {
  return `${prefix}:behealthy:notes-processed`;
}
