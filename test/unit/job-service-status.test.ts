import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createJobService, EXPIRED_BATCH_REASON } from '../../src/queue/job-service.js';
import type { ExtractBatchData } from '../../src/queue/queues.js';
import type { RecordStore, SubmissionProgress } from '../../src/store/record-store.js';

/** A job of 3 batches whose notes are 250, 300 done: one batch's notes never came back. */
function service(options: { lastProcessedAgoMs: number; jobs: Record<number, 'failed' | 'waiting' | 'completed' | undefined> }) {
  const progress: SubmissionProgress = {
    jobId: 'j', source: 'api', createdAt: new Date(Date.now() - 3_600_000), notes: 300, batches: 3, done: 200, failed: 50,
    firstProcessedAt: new Date(Date.now() - 3_600_000), lastProcessedAt: new Date(Date.now() - options.lastProcessedAgoMs), failures: [],
  };
  const store = { progress: async () => progress } as unknown as RecordStore;
  const queue = {
    getFailedCount: async () => Object.values(options.jobs).filter((s) => s === 'failed').length,
    getJob: async (id: string) => {
      const state = options.jobs[Number(id.split('.')[1])];
      return state === undefined ? undefined : { failedReason: 'PostgreSQL unreachable', isFailed: async () => state === 'failed', isCompleted: async () => state === 'completed' };
    },
  } as unknown as Queue<ExtractBatchData>;
  const redis = { status: 'ready' } as unknown as Redis;
  return createJobService({ queue, redis, store, batchSize: 100, redisUrl: 'redis://x', databaseUrl: 'postgres://x' });
}

describe('job status', () => {
  it('reads failed, not running forever, once the batches left unprocessed have expired from the queue', async () => {
    const status = await service({ lastProcessedAgoMs: 10 * 60_000, jobs: {} }).status('j');
    expect(status?.state).toBe('failed');
    expect(status?.failedBatches).toEqual([0, 1, 2].map((batch) => ({ batch, reason: EXPIRED_BATCH_REASON })));
  });

  it('still reads running while a batch waits, and reports a batch that failed for good with its own reason', async () => {
    expect((await service({ lastProcessedAgoMs: 10 * 60_000, jobs: { 0: 'completed', 2: 'waiting' } }).status('j'))?.state).toBe('running');
    const failed = await service({ lastProcessedAgoMs: 10 * 60_000, jobs: { 1: 'failed' } }).status('j');
    expect(failed?.failedBatches).toEqual([{ batch: 1, reason: 'PostgreSQL unreachable' }]);
  });

  it('does not look batches up while the job is recent and nothing failed', async () => {
    expect((await service({ lastProcessedAgoMs: 1_000, jobs: {} }).status('j'))?.state).toBe('running');
  });
});
