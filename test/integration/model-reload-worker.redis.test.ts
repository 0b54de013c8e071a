import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createJobService, type JobService } from '../../src/queue/job-service.js';
import { EXTRACT_QUEUE, type ExtractBatchData } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker, type RunningWorker } from '../../src/queue/start-worker.js';
import { promoteVersion } from '../../src/registry/model-registry.js';
import { MODEL_FILE, setProductionVersion } from '../../src/registry/model-store.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { freshSchema, uniqueName } from '../helpers/services.js';
import { copyShippedModels, copyVersion, OLDER, PRODUCTION } from '../helpers/models-dir.js';

/** A queue worker (real Redis and PostgreSQL) switches model when a version is promoted, without a restart. */
describe('queue workers follow the production pointer', () => {
  let models: Awaited<ReturnType<typeof copyShippedModels>>;
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let config: Config;
  let worker: RunningWorker;
  let jobs: JobService;
  let close: () => Promise<void>;
  let submitted = 0;

  beforeAll(async () => {
    models = await copyShippedModels();
    db = await freshSchema();
    config = { ...loadConfig(), modelDir: models.dir, modelReloadPollMs: 200, databaseSchema: db.schema, queuePrefix: uniqueName('q'), jobBatchSize: 5, queueLockMs: 2_000 };
    const redis = createRedisConnection(config.redisUrl);
    const queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection: redis, prefix: config.queuePrefix });
    jobs = createJobService({ queue, redis, store: createPgRecordStore(db.pool), batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
    worker = await startWorker(config, { logger: pino({ level: 'silent' }) });
    close = async () => {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      redis.disconnect();
    };
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await close?.();
    await db?.drop();
    await models?.remove();
  });

  /** Submits notes and returns the model versions of their records once the job is done. */
  async function versionsOfAJob(): Promise<string[]> {
    const notes = Array.from({ length: 12 }, (_, i) => ({ id: `w${submitted}-${i}`, text: 'Patients with lung cancer were treated with cisplatin.' }));
    submitted++;
    const { jobId } = await jobs.submit(notes);
    const started = Date.now();
    for (;;) {
      const status = await jobs.status(jobId);
      if (status?.state === 'completed') break;
      if (status?.state === 'failed' || Date.now() - started > 30_000) throw new Error(`job ${jobId}: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const versions: string[] = [];
    for await (const stored of jobs.records(jobId)) versions.push(stored.record.modelVersion);
    expect(versions).toHaveLength(12);
    return versions;
  }

  it('processes batches with the newly promoted version, and keeps it when a later pointer names a broken one', async () => {
    expect(new Set(await versionsOfAJob())).toEqual(new Set([PRODUCTION]));

    await promoteVersion(models.dir, OLDER, { by: 'worker-test' });
    const started = Date.now();
    while (worker.extractor.modelVersion !== OLDER) {
      if (Date.now() - started > 10_000) throw new Error('the worker did not reload');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(new Set(await versionsOfAJob())).toEqual(new Set([OLDER]));

    await copyVersion(models.dir, PRODUCTION, '2026-12-01.1');
    await truncate(join(models.dir, '2026-12-01.1', MODEL_FILE), 2_000);
    await setProductionVersion(models.dir, '2026-12-01.1');
    expect(await worker.reloader?.check()).toBe('refused');
    expect(worker.reloader?.state.refused).toMatchObject({ version: '2026-12-01.1', code: 'NER_ERR_MODEL_CHECKSUM' });
    expect(new Set(await versionsOfAJob())).toEqual(new Set([OLDER]));
  });
});
