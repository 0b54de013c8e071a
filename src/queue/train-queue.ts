import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { CorrectionStore } from '../store/correction-store.js';
import { describeError } from '../error-description.js';
import type { RetrainTrigger } from '../training/retrain.js';
import { TRAIN_QUEUE, type TrainJobData } from './queues.js';
import { createRedisConnection, redisReady, type RedisClient, type RedisTarget } from './redis-connection.js';

/** Redis key holding when the last retraining finished (ISO time): corrections after it count towards the next. */
export function lastRetrainKey(prefix: string): string {
  return `${prefix}:behealthy:last-retrain-at`;
}

/** A retraining is not retried (a failure is recorded and the next trigger queues another). */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } };

export function trainQueue(connection: RedisClient, prefix: string): Queue<TrainJobData> {
  const queue = new Queue<TrainJobData>(TRAIN_QUEUE, { connection, prefix });
  queue.on('error', () => {});
  return queue;
}

/** Queues a retraining unless one for the same trigger is already waiting or running. */
export async function queueRetrain(queue: Queue<TrainJobData>, trigger: RetrainTrigger, detail: string): Promise<boolean> {
  const waiting = await queue.getJobs(['waiting', 'active', 'delayed']);
  if (waiting.some((job) => job.data.trigger === trigger)) return false;
  await queue.add('retrain', { trigger, detail }, JOB_OPTIONS);
  return true;
}

/**
 * The corrections trigger: a retraining is queued once `threshold` corrections were stored since the last
 * retraining finished (0 turns it off). Called after corrections are stored.
 */
export async function retrainIfEnoughCorrections(
  deps: { queue: Queue<TrainJobData>; redis: RedisClient; prefix: string; corrections: CorrectionStore; threshold: number },
): Promise<{ corrections: number; queued: boolean }> {
  if (deps.threshold <= 0) return { corrections: 0, queued: false };
  const last = await deps.redis.get(lastRetrainKey(deps.prefix));
  const corrections = await deps.corrections.countSince(last ? new Date(last) : null);
  if (corrections < deps.threshold) return { corrections, queued: false };
  const queued = await queueRetrain(deps.queue, 'corrections', `${corrections} corrections since ${last ?? 'the start'} (threshold ${deps.threshold})`);
  return { corrections, queued };
}

/** The `train` queue's processor in a worker process: one retraining at a time, its finish time kept in Redis. */
export function startTrainWorker<Result>(
  deps: { connection: RedisClient; prefix: string; logger: Logger; retrain: (data: TrainJobData) => Promise<Result> },
): Worker<TrainJobData, Result> {
  const worker = new Worker<TrainJobData, Result>(
    TRAIN_QUEUE,
    async (job) => {
      deps.logger.info({ job: job.id, trigger: job.data.trigger, detail: job.data.detail }, 'retraining started');
      const result = await deps.retrain(job.data);
      await deps.connection.set(lastRetrainKey(deps.prefix), new Date().toISOString());
      deps.logger.info({ job: job.id, trigger: job.data.trigger }, 'retraining done');
      return result;
    },
    // Training runs in child processes, so the event loop stays free to renew the lock.
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, lockDuration: 120_000 },
  );
  worker.on('failed', (job, error) => deps.logger.error({ job: job?.id, error: describeError(error) }, 'retraining failed'));
  worker.on('error', (error) => deps.logger.error({ error: describeError(error) }, 'train worker error'));
  return worker;
}

/** The drift trigger: a nightly run whose drift level is `retrain` queues a retraining (alert means back to development). */
export async function retrainOnDrift(queue: Queue<TrainJobData>, day: string, drift: { level?: string; score?: number } | null | undefined): Promise<boolean> {
  if (drift?.level !== 'retrain') return false;
  return queueRetrain(queue, 'drift', `nightly run of ${day}: drift ${drift.score?.toFixed(4) ?? '?'} (retrain)`);
}

/** The train queue on a connection of its own for one use (the CLI); closed after. `ready` is false when Redis is unreachable. */
export async function withTrainQueue<T>(target: string | RedisTarget, prefix: string, use: (queue: Queue<TrainJobData>, redis: RedisClient, ready: boolean) => Promise<T>): Promise<T> {
  const redis = createRedisConnection(target, { forBullmq: true });
  const queue = trainQueue(redis, prefix);
  try {
    return await use(queue, redis, await redisReady(redis));
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
