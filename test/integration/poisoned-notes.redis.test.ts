import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createExtractor } from '../../src/extractor.js';
import { buildApp } from '../../src/http/build-app.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { createJobService } from '../../src/queue/job-service.js';
import { EXTRACT_QUEUE, type ExtractBatchData } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker, type RunningWorker } from '../../src/queue/start-worker.js';
import { createDatabasePool } from '../../src/store/database.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { dictionaryTagger } from '../helpers/test-app.js';
import { freshSchema, uniqueName } from '../helpers/services.js';

/**
 * Notes a bulk job cannot store, against the real Redis, PostgreSQL and a worker with the shipped model:
 * each fails alone with its reason and its batch stores the rest; a body nested thousands of levels deep
 * and repeated note ids get a clear answer instead of a 503 or a job that never completes.
 */
describe('poisoned notes in bulk jobs', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let config: Config;
  let app: FastifyInstance;
  let worker: RunningWorker;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await freshSchema();
    config = { ...loadConfig(), databaseSchema: db.schema, queuePrefix: uniqueName('q'), jobBatchSize: 50 };
    const redis = createRedisConnection(config.redisUrl);
    const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, max: 4 });
    const store = createPgRecordStore(pool);
    const queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection: redis, prefix: config.queuePrefix });
    queue.on('error', () => {});
    const metrics = createServiceMetrics({ processMetrics: false });
    const jobs = createJobService({ queue, redis, store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
    app = await buildApp({ config: { ...config, logLevel: 'silent' }, extractor: createExtractor(dictionaryTagger, metrics), metrics, jobs, store, queues: [queue] });
    worker = await startWorker(config, { logger: pino({ level: 'silent' }) });
    close = async () => {
      await app.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close().catch(() => {});
      redis.disconnect();
      await pool.end();
    };
  });
  afterAll(async () => {
    await worker?.close();
    await close?.();
    await db?.drop();
  });

  const post = (payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as string, headers });

  async function finished(jobId: string, timeoutMs = 60_000) {
    const started = Date.now();
    for (;;) {
      const body = (await app.inject({ url: `/v1/jobs/${jobId}` })).json();
      if (body.state === 'completed' || body.state === 'failed') return { ...body, elapsedMs: Date.now() - started };
      if (Date.now() - started > timeoutMs) throw new Error(`job ${jobId} still ${body.state} after ${timeoutMs} ms: ${JSON.stringify(body.progress)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const good = (i: number) => ({ id: `good-${String(i).padStart(3, '0')}`, text: i % 2 ? 'Lung cancer treated with chemotherapy.' : 'Asthma managed with inhaled salbutamol.' });

  it('98 good notes and 2 poisoned ones (a NUL, a lone surrogate): 98 stored, 2 failed with reasons, completed', async () => {
    const notes = Array.from({ length: 98 }, (_, i) => good(i));
    notes.splice(17, 0, { id: 'nul-1', text: 'asthma\u0000' });
    notes.splice(60, 0, { id: 'half-1', text: 'lung cancer\ud83d treated with chemotherapy' });
    const response = await post({ notes });
    expect(response.statusCode).toBe(202);
    const status = await finished(response.json().jobId);
    expect(status).toMatchObject({ state: 'completed', progress: { total: 100, done: 98, failed: 2 } });
    expect(status.elapsedMs).toBeLessThan(60_000);
    expect(status.failures).toEqual([
      { noteId: 'half-1', reason: 'text has an unpaired UTF-16 surrogate at offset 11, which cannot be stored' },
      { noteId: 'nul-1', reason: 'text has a NUL character (U+0000) at offset 6, which cannot be stored' },
    ]);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM records WHERE note_id LIKE 'good-%'");
    expect(rows[0].n).toBe(98);
  });

  it('an id PostgreSQL cannot store fails its note alone, under its place in the job', async () => {
    const response = await post({ notes: [good(900), { id: 'id\u0000nul', text: 'Asthma.' }, { id: 'id\udfff', text: 'Asthma.' }] });
    const status = await finished(response.json().jobId);
    expect(status).toMatchObject({ state: 'completed', progress: { total: 3, done: 1, failed: 2 } });
    expect(status.failures).toEqual([
      { noteId: '(batch 0, note 2)', reason: 'id has a NUL character (U+0000) at offset 2, which cannot be stored' },
      { noteId: '(batch 0, note 3)', reason: 'id has an unpaired UTF-16 surrogate at offset 2, which cannot be stored' },
    ]);
  });

  it('a note nested 10,000 levels deep is accepted (202) and fails alone with its reason, in JSON and in NDJSON', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const json = await post(`{"notes":[{"id":"deep-1","text":${deep}},${JSON.stringify(good(901))},{"id":"deep-2","text":"Asthma.","extra":${deep}}]}`, { 'content-type': 'application/json' });
    expect(json.statusCode, json.body).toBe(202);
    const fromJson = await finished(json.json().jobId);
    expect(fromJson).toMatchObject({ state: 'completed', progress: { total: 3, done: 2, failed: 1 } });
    expect(fromJson.failures).toEqual([{ noteId: 'deep-1', reason: 'text must be a string, got an object' }]);

    const ndjson = await post(`{"id":"deep-3","text":${deep}}\n${JSON.stringify(good(902))}\n{"id":${deep},"text":"Asthma."}\n`, { 'content-type': 'application/x-ndjson' });
    expect(ndjson.statusCode, ndjson.body).toBe(202);
    const fromNdjson = await finished(ndjson.json().jobId);
    expect(fromNdjson).toMatchObject({ state: 'completed', progress: { total: 3, done: 1, failed: 2 } });
    expect(fromNdjson.failures).toEqual([
      { noteId: '(batch 0, note 3)', reason: expect.stringMatching(/^id must be a non-empty string/) },
      { noteId: 'deep-3', reason: 'text must be a string, got an object' },
    ]);
  });

  it('a repeated note id is a 400 naming it and its positions (1 and "1" are one id), in JSON and in NDJSON', async () => {
    const submissions = async () => (await db.pool.query('SELECT count(*)::int AS n FROM submissions')).rows[0].n as number;
    const before = await submissions();
    const json = await post({ notes: [{ id: 'dup-1', text: 'Asthma.' }, { id: 'dup-1', text: 'Gout.' }, { id: 1, text: 'Asthma.' }, { id: '1', text: 'Flu.' }] });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({
      error: { code: 'NER_ERR_JOB_DUPLICATE_NOTE_ID', message: 'note ids must be unique within a job (a job stores one record per id): "dup-1" at notes[0], notes[1]; "1" at notes[2], notes[3]' },
    });
    const ndjson = await post('{"id":"dup-2","text":"a"}\n{"id":"dup-2","text":"b"}\n', { 'content-type': 'application/x-ndjson' });
    expect(ndjson.statusCode).toBe(400);
    expect(ndjson.json().error.code).toBe('NER_ERR_JOB_DUPLICATE_NOTE_ID');
    expect(await submissions()).toBe(before);
  });
});
