import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactUrl, type Config } from '../config.js';
import type { DependencyCheck } from '../dependency-check.js';

/** A connection to Redis: one server or a Sentinel-managed primary (Redis), or a Redis Cluster (Cluster). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL, or with Sentinel / Cluster the companion variables (REDIS_URL's credentials and TLS apply). */
export type RedisTarget = Pick<Config, 'redisUrl' | 'redisSentinels' | 'redisSentinelName' | 'redisClusterNodes'>;

/** Where Redis is, for messages: the URL, the sentinels and master name, or the cluster's nodes (no password). */
export function describeRedis(target: string | RedisTarget): string {
  if (typeof target === 'string') return redactUrl(target);
  if (target.redisSentinels.length > 0) return `Sentinel master "${target.redisSentinelName}" via ${target.redisSentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  if (target.redisClusterNodes.length > 0) return `Redis Cluster ${target.redisClusterNodes.map((s) => `${s.host}:${s.port}`).join(',')}`;
  return redactUrl(target.redisUrl);
}

/** REDIS_URL's username, password, database and TLS, for Sentinel and Cluster connections. */
function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || '0');
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * A Redis connection that tolerates Redis being absent: it connects lazily, retries in the background,
 * and fails commands at once instead of queueing them while disconnected, so a route that needs the queue
 * can answer 503 immediately. `maxRetriesPerRequest: null` is what BullMQ requires of its connections.
 *
 * With Sentinel the connection asks the sentinels for the primary and, when the primary fails, reconnects to
 * the replica they promote (failoverDetector listens for +switch-master). With Cluster it follows the slots.
 */
export function createRedisConnection(url: string, options?: { forBullmq?: boolean }): Redis;
export function createRedisConnection(target: string | RedisTarget, options?: { forBullmq?: boolean }): RedisClient;
export function createRedisConnection(target: string | RedisTarget, options: { forBullmq?: boolean } = {}): RedisClient {
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 1_000,
    enableOfflineQueue: options.forBullmq ?? false,
    maxRetriesPerRequest: options.forBullmq ? null : 1,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
  };
  let redis: RedisClient;
  if (typeof target === 'string') {
    redis = new Redis(target, common);
  } else if (target.redisSentinels.length > 0) {
    redis = new Redis({
      ...common,
      ...credentialsOf(target.redisUrl),
      sentinels: target.redisSentinels,
      name: target.redisSentinelName,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
      failoverDetector: true,
    });
  } else if (target.redisClusterNodes.length > 0) {
    const { retryStrategy: _perNode, lazyConnect, enableOfflineQueue, ...perNode } = common;
    redis = new Cluster(target.redisClusterNodes, {
      lazyConnect,
      enableOfflineQueue,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
      redisOptions: { ...perNode, ...credentialsOf(target.redisUrl) },
    });
  } else {
    redis = new Redis(target.redisUrl, common);
  }
  // Without a listener an unreachable Redis would be an unhandled 'error' event; /ready reports the state.
  redis.on('error', () => {});
  return redis;
}

/**
 * Starts a lazy connection that has not been used yet, waits for a first connection already under way
 * (a Queue starts one as soon as it is built), and says whether it is connected. A connection that is
 * reconnecting after a loss is not waited for: routes answer 503 at once while Redis is down.
 */
export async function redisReady(redis: RedisClient, waitMs = 2_000): Promise<boolean> {
  if (redis.status === 'wait') await redis.connect().catch(() => {});
  if (redis.status === 'connecting' || redis.status === 'connect') await settled(redis, waitMs);
  return redis.status === 'ready';
}

function settled(redis: RedisClient, waitMs: number): Promise<void> {
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

export function redisDependency(redis: RedisClient, target: string | RedisTarget): DependencyCheck {
  return {
    name: 'redis',
    neededBy: 'the bulk job queue (POST /v1/jobs) and the nightly batch',
    hint: `start Redis at ${describeRedis(target)} or set REDIS_URL (REDIS_SENTINELS, REDIS_CLUSTER_NODES)`,
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
