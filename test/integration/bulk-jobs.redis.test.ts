import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT, type Config } from '../../src/config.js';
import { createExtractor } from '../../src/extractor.js';
import { buildApp } from '../../src/http/build-app.js';
import { startApi } from '../../src/http/start-api.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { createJobService } from '../../src/queue/job-service.js';
import { EXTRACT_QUEUE, NIGHTLY_QUEUE, type ExtractBatchData } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker, type RunningWorker } from '../../src/queue/start-worker.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { createDatabasePool } from '../../src/store/database.js';
import { pino } from 'pino';
import { dictionaryTagger } from '../helpers/test-app.js';
import { freshSchema, tcpProxy, uniqueName } from '../helpers/services.js';

/**
 * The bulk path against the real Redis and PostgreSQL: the API (app.inject) submits, real workers
 * (the shipped model) process, PostgreSQL holds the records. Each run has its own queue prefix and schema.
 */
const silent = pino({ level: 'silent' });

interface Harness {
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

async function harness(config: Config): Promise<Harness> {
  const redis = createRedisConnection(config.redisUrl);
  const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, max: 4 });
  const store = createPgRecordStore(pool);
  const queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection: redis, prefix: config.queuePrefix });
  queue.on('error', () => {});
  const metrics = createServiceMetrics({ processMetrics: false });
  const jobs = createJobService({ queue, redis, store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
  const app = await buildApp({ config: { ...config, logLevel: 'silent' }, extractor: createExtractor(dictionaryTagger, metrics), metrics, jobs, store, queues: [queue] });
  return {
    app,
    config,
    async close() {
      await app.close();
      await queue.close().catch(() => {});
      redis.disconnect();
      await pool.end();
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const notes = (count: number, stem = 'n') =>
  Array.from({ length: count }, (_, i) => ({ id: `${stem}${String(i).padStart(5, '0')}`, text: i % 2 ? 'Patients with lung cancer were treated with cisplatin.' : 'Asthma was managed with inhaled salbutamol.' }));

async function submit(app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as string, headers });
}

async function completed(app: FastifyInstance, jobId: string) {
  return waitFor('the job to complete', async () => {
    const body = (await app.inject({ url: `/v1/jobs/${jobId}` })).json();
    return body.state === 'completed' || body.state === 'failed' ? body : undefined;
  });
}

describe('bulk jobs through BullMQ into PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let config: Config;
  let api: Harness;
  let worker: RunningWorker;
  beforeAll(async () => {
    db = await freshSchema();
    config = { ...loadConfig(), databaseSchema: db.schema, queuePrefix: uniqueName('q'), jobBatchSize: 40, maxJobNotes: 5_000, queueLockMs: 2_000 };
    api = await harness(config);
    worker = await startWorker(config, { logger: silent });
  });
  afterAll(async () => {
    await worker?.close();
    const queue = new Queue(EXTRACT_QUEUE, { connection: createRedisConnection(config.redisUrl, { forBullmq: true }), prefix: config.queuePrefix });
    await queue.obliterate({ force: true });
    await queue.close();
    await api?.close();
    await db?.drop();
  });

  it('splits a submission into batches and writes one record per note; the records stream back as NDJSON', async () => {
    const response = await submit(api.app, { notes: notes(130) });
    expect(response.statusCode).toBe(202);
    const { jobId, batches } = response.json();
    expect(batches).toBe(4);
    const status = await completed(api.app, jobId);
    expect(status).toMatchObject({ state: 'completed', progress: { total: 130, done: 130, failed: 0, batches: 4 }, failures: [] });
    expect(status.timings.seconds).toBeGreaterThan(0);
    const records = (await api.app.inject({ url: `/v1/jobs/${jobId}/records` })).body.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => r.noteId)).toEqual(notes(130).map((n) => n.id));
    expect(records[1].treatments.map((t: { text: string }) => t.text)).toContain('cisplatin');
    const insights = (await api.app.inject({ url: '/v1/insights/treatments?disease=lung%20cancer' })).json();
    expect(insights.treatments[0]).toMatchObject({ treatment: 'cisplatin', notes: 65 });
  });

  it('accepts NDJSON uploads', async () => {
    const body = notes(5, 'nd').map((n) => JSON.stringify(n)).join('\n');
    const response = await submit(api.app, body, { 'content-type': 'application/x-ndjson' });
    expect(response.statusCode).toBe(202);
    expect((await completed(api.app, response.json().jobId)).progress).toMatchObject({ total: 5, done: 5 });
  });

  it('fails a bad note alone, with its reason; the rest of its batch is stored', async () => {
    const batch = [...notes(3, 'bad'), { id: 'bad-number', text: 17 }, { id: 'bad-long', text: 'x'.repeat(config.maxNoteChars + 1) }];
    const { jobId } = (await submit(api.app, { notes: batch })).json();
    const status = await completed(api.app, jobId);
    expect(status.progress).toMatchObject({ total: 5, done: 3, failed: 2 });
    expect(status.failures).toEqual([
      { noteId: 'bad-long', reason: expect.stringMatching(/over the limit of 100000/) },
      { noteId: 'bad-number', reason: 'text must be a string, got number' },
    ]);
  });

  it('updates records when the same note ids are submitted again, never duplicates them', async () => {
    const first = notes(10, 'again');
    await completed(api.app, (await submit(api.app, { notes: first })).json().jobId);
    const changed = first.map((n) => ({ ...n, text: 'Gout treated with colchicine.' }));
    await completed(api.app, (await submit(api.app, { notes: changed })).json().jobId);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n, count(DISTINCT note_id)::int AS distinct_notes FROM records WHERE note_id LIKE 'again%'");
    expect(rows[0]).toEqual({ n: 10, distinct_notes: 10 });
    const { rows: entities } = await db.pool.query("SELECT DISTINCT lower(text) AS text FROM entities WHERE note_id LIKE 'again%' ORDER BY 1");
    expect(entities.map((r) => r.text)).not.toContain('cisplatin');
  });

  it('rejects bad submissions with a code: empty, too many notes, malformed NDJSON, unknown job', async () => {
    expect((await submit(api.app, { notes: [] })).json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
    const tooMany = await submit(api.app, { notes: notes(5_001) });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toEqual({ code: 'NER_ERR_HTTP_TOO_MANY_NOTES', message: 'a request holds at most 5000 notes (MAX_JOB_NOTES; split the submission)' });
    const ndjson = await submit(api.app, '{"id":"1","text":"a"}\n{oops', { 'content-type': 'application/x-ndjson' });
    expect(ndjson.json().error).toEqual({ code: 'NER_ERR_HTTP_MALFORMED_JSON', message: 'line 2 of the NDJSON body is not valid JSON' });
    expect((await api.app.inject({ url: '/v1/jobs/00000000-0000-4000-8000-000000000000' })).json().error.code).toBe('NER_ERR_JOB_NOT_FOUND');
    expect((await api.app.inject({ url: '/v1/jobs/not-a-uuid/records' })).statusCode).toBe(404);
  });

  it('PostgreSQL unavailable during a batch: the batch retries with backoff and completes when it returns', async () => {
    const target = new URL(config.databaseUrl);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    // The worker reaches PostgreSQL through the proxy; the API (submissions) directly.
    const prefix = uniqueName('qpg');
    const proxiedWorker = await startWorker({ ...config, databaseUrl: proxy.url(config.databaseUrl), queuePrefix: prefix }, { logger: silent });
    const submitter = await harness({ ...config, queuePrefix: prefix });
    const queue = new Queue(EXTRACT_QUEUE, { connection: createRedisConnection(config.redisUrl, { forBullmq: true }), prefix });
    try {
      proxy.cut();
      const submitted = await submit(submitter.app, { notes: notes(20, 'pgdown') });
      expect(submitted.statusCode, submitted.body).toBe(202);
      const { jobId } = submitted.json();
      // One failed attempt is enough to show the retry: the job can only complete through another attempt.
      // (Generous timeout: on a loaded 2-core CI machine the first attempt has once taken over 30 s to fail.)
      let seen = 'no job yet';
      await waitFor('a failed attempt', async () => {
        const job = await queue.getJob(`${jobId}.0`);
        seen = job ? `state ${await job.getState()}, attempts made ${job.attemptsMade}, reason ${job.failedReason ?? 'none'}` : 'no job yet';
        return (job?.attemptsMade ?? 0) >= 1 || undefined;
      }, 90_000).catch((error: Error) => Promise.reject(new Error(`${error.message} (${seen})`)));
      expect((await submitter.app.inject({ url: `/v1/jobs/${jobId}` })).json().progress.done).toBe(0);
      proxy.restore();
      const status = await completed(submitter.app, jobId);
      expect(status).toMatchObject({ state: 'completed', progress: { total: 20, done: 20, failed: 0 } });
    } finally {
      proxy.restore();
      await proxiedWorker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await submitter.close();
      await proxy.close();
    }
  }, 180_000);

  it('shows the queues on Bull Board behind the API key, and queue figures on /metrics', async () => {
    const key = 'board-key-0123456789abcdef';
    const guarded = await harness({ ...config, apiKeys: [key] });
    const metricsApp = await startApi({ ...config, port: 0, logLevel: 'silent', webConcurrency: 1 });
    try {
      expect((await guarded.app.inject({ url: '/admin/queues' })).statusCode).toBe(401);
      const board = await guarded.app.inject({ url: '/admin/queues', headers: { 'x-api-key': key } });
      expect(board.statusCode).toBe(200);
      expect(board.headers['content-type']).toMatch(/text\/html/);
      const queues = await guarded.app.inject({ url: '/admin/queues/api/queues', headers: { 'x-api-key': key } });
      expect(queues.json().queues.map((q: { name: string }) => q.name)).toContain(EXTRACT_QUEUE);
      const metrics = await (await fetch(`${metricsApp.url}/metrics`)).text();
      expect(metrics).toMatch(/behealthy_queue_jobs\{queue="extract",state="completed"\} \d+/);
      expect(metrics).toMatch(/behealthy_queue_notes_processed_total [1-9]\d*/);
    } finally {
      await metricsApp.close();
      await guarded.close();
    }
  });

  it('Redis unavailable: POST /v1/jobs answers 503 with a code, /v1/extract keeps working', async () => {
    const noRedis = await harness({ ...config, redisUrl: 'redis://127.0.0.1:1' });
    try {
      const response = await submit(noRedis.app, { notes: notes(2) });
      expect(response.statusCode).toBe(503);
      expect(response.json().error).toMatchObject({ code: 'NER_ERR_QUEUE_UNAVAILABLE', message: expect.stringMatching(/REDIS_URL/) });
      const extract = await noRedis.app.inject({ method: 'POST', url: '/v1/extract', payload: { text: 'Asthma treated with azithromycin.' } });
      expect(extract.statusCode).toBe(200);
    } finally {
      await noRedis.close();
    }
  });

  it('a worker killed with SIGKILL mid-batch: another worker takes the batch up and every note ends with exactly one record', async () => {
    const prefix = uniqueName('qkill');
    const submitter = await harness({ ...config, queuePrefix: prefix, jobBatchSize: 300 });
    const queue = new Queue(EXTRACT_QUEUE, { connection: createRedisConnection(config.redisUrl, { forBullmq: true }), prefix });
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main-worker.ts')], {
      env: { ...process.env, DATABASE_SCHEMA: config.databaseSchema, QUEUE_PREFIX: prefix, QUEUE_LOCK_MS: '2000', WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let successor: RunningWorker | undefined;
    try {
      await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('worker started') && resolve()));
      // Long notes, so that a batch of 300 takes seconds to extract.
      const long = 'Patients with advanced non-small cell lung cancer were treated with cisplatin and etoposide. '.repeat(25);
      const batch = Array.from({ length: 600 }, (_, i) => ({ id: `kill${String(i).padStart(4, '0')}`, text: long }));
      const { jobId } = (await submit(submitter.app, { notes: batch })).json();
      await waitFor('a batch in progress', async () => ((await queue.getActiveCount()) > 0 ? true : undefined), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGKILL');
      await once(child, 'exit');
      const afterKill = (await submitter.app.inject({ url: `/v1/jobs/${jobId}` })).json();
      expect(afterKill.progress.done, 'the killed worker had not finished both batches').toBeLessThan(600);
      successor = await startWorker({ ...config, queuePrefix: prefix, queueLockMs: 2_000 }, { logger: silent });
      const status = await completed(submitter.app, jobId);
      expect(status).toMatchObject({ state: 'completed', progress: { total: 600, done: 600, failed: 0 } });
      const { rows } = await db.pool.query("SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE 'kill%'");
      expect(rows[0]).toEqual({ records: 600, notes: 600 });
      const { rows: perJob } = await db.pool.query('SELECT count(*)::int AS n FROM job_notes WHERE job_id = $1', [jobId]);
      expect(perJob[0].n).toBe(600);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await successor?.close();
      await queue.obliterate({ force: true });
      await queue.close();
      // The spawned worker also registered the nightly scheduler under this prefix.
      const nightly = new Queue(NIGHTLY_QUEUE, { connection: createRedisConnection(config.redisUrl, { forBullmq: true }), prefix });
      await nightly.obliterate({ force: true });
      await nightly.close();
      await nightly.disconnect();
      await submitter.close();
    }
  });
});
