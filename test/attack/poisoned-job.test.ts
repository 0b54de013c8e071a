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
import { createPgRecordStore } from '../../src/store/record-store.js';
import { realisticNotes } from '../../scripts/realistic-notes.js';
import { dictionaryTagger } from '../helpers/test-app.js';
import { freshSchema, uniqueName } from '../helpers/services.js';
import { printFigure } from './attack-checks.js';

/**
 * Bulk jobs with poisoned notes among good ones, in one batch, through the real queue and store (the
 * machine's Redis and PostgreSQL, a schema and prefix of the run's own) and a worker with the shipped
 * model: the good notes are stored, each bad one fails alone with its reason, and the job completes.
 */
const COMPLETION_BOUND_MS = 60_000;

interface JobStatus {
  state: string;
  progress: { total: number; done: number; failed: number };
  failures: { noteId: string; reason: string }[];
  failedBatches: unknown[];
}

describe('attack: poisoned notes in a bulk job', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let config: Config;
  let app: FastifyInstance;
  let worker: RunningWorker;
  let texts: string[];
  const redis = createRedisConnection(loadConfig().redisUrl);
  let queue: Queue<ExtractBatchData>;
  beforeAll(async () => {
    db = await freshSchema();
    config = { ...loadConfig(), logLevel: 'silent', databaseSchema: db.schema, queuePrefix: uniqueName('poison') };
    queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection: redis, prefix: config.queuePrefix });
    queue.on('error', () => {});
    const metrics = createServiceMetrics({ processMetrics: false });
    const store = createPgRecordStore(db.pool);
    const jobs = createJobService({ queue, redis, store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl });
    app = await buildApp({ config, extractor: createExtractor(dictionaryTagger, metrics), metrics, jobs, store, queues: [queue] });
    worker = await startWorker(config, { logger: pino({ level: 'silent' }) });
    texts = await realisticNotes(config.corpusDir);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    redis.disconnect();
    await app?.close();
    await db?.drop();
  });

  /** Submits the notes, waits (up to the bound) for the job to finish, and reports what was stored. */
  async function run(name: string, notes: unknown[] | { raw: string; count: number }, goodIds: string[]) {
    const started = performance.now();
    const payload = Array.isArray(notes) ? JSON.stringify({ notes }) : notes.raw;
    const count = Array.isArray(notes) ? notes.length : notes.count;
    const submitted = await app.inject({ method: 'POST', url: '/v1/jobs', payload, headers: { 'content-type': 'application/json' } });
    const { jobId } = submitted.json() as { jobId?: string };
    let status: JobStatus | undefined;
    while (submitted.statusCode === 202 && performance.now() - started < COMPLETION_BOUND_MS) {
      status = (await app.inject({ url: `/v1/jobs/${jobId}` })).json() as JobStatus;
      if (status.state === 'completed' || status.state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records WHERE note_id = ANY($1)', [goodIds]);
    const figure = {
      attack: 'poisoned-job', job: name, notes: count, good: goodIds.length, poisoned: count - goodIds.length, submission: submitted.statusCode, state: status?.state ?? 'none',
      stored: rows[0]?.n ?? 0, done: status?.progress.done ?? 0, failed: status?.progress.failed ?? 0, failuresWithReasons: status?.failures.filter((f) => f.reason.length > 0).length ?? 0,
      failedBatches: status?.failedBatches.length ?? 0, seconds: Number(seconds.toFixed(1)), boundSeconds: COMPLETION_BOUND_MS / 1000,
    };
    printFigure(figure);
    return { figure, status, submitted };
  }

  const good = (count: number, stem: string) => Array.from({ length: count }, (_, i) => ({ id: `${stem}-${i}`, text: texts[i % texts.length] as string }));

  it('98 good notes and 2 poisoned ones (NUL, a lone surrogate inside an entity): 98 stored, 2 failed with reasons, completed', async () => {
    const notes: unknown[] = good(98, 'bar');
    notes.splice(17, 0, { id: 'poison-nul', text: 'Asthma\u0000 treated with salbutamol.' });
    notes.splice(60, 0, { id: 'poison-surrogate', text: 'Patients with lung cancer were treated with cis\uDC00platin.' });
    const { figure, status } = await run('98 good + NUL + lone surrogate', notes, good(98, 'bar').map((n) => n.id));
    expect(figure).toMatchObject({ state: 'completed', stored: 98, done: 98, failed: 2, failuresWithReasons: 2 });
    expect(status?.failures.map((f) => f.noteId).sort()).toEqual(['poison-nul', 'poison-surrogate']);
    // A reason says what is wrong, never quotes the note.
    for (const failure of status?.failures ?? []) expect(failure.reason).not.toMatch(/salbutamol|cisplatin|platin/);
  }, COMPLETION_BOUND_MS + 30_000);

  it('every other poison (NUL in the id, text not a string, no id, over-long text) fails alone; the good notes are stored', async () => {
    const poisons: unknown[] = [
      { id: 'nul\u0000id', text: 'Gout treated with colchicine.' },
      { id: 'text-number', text: 42 },
      { id: 'text-object', text: { nested: { text: 'asthma' } } },
      { id: 'text-null', text: null },
      { text: 'a note without an id' },
      { id: 'over-long', text: 'lung cancer '.repeat(Math.ceil((config.maxNoteChars + 1) / 12)) },
      { id: 'surrogate-id-\uD800', text: 'Fever treated with paracetamol.' },
    ];
    const notes: unknown[] = [...good(40, 'mixed')];
    poisons.forEach((poison, i) => notes.splice(5 + i * 6, 0, poison));
    const { figure } = await run('40 good + 7 other poisons', notes, good(40, 'mixed').map((n) => n.id));
    expect(figure).toMatchObject({ state: 'completed', stored: 40, done: 40, failed: poisons.length, failuresWithReasons: poisons.length });
  }, COMPLETION_BOUND_MS + 30_000);

  it('a note nested 10,000 levels deep among good ones: refused as a bad request, or its good notes stored and it failed alone; never an outage', async () => {
    let deep = '{"id":"deep","text":"asthma"}';
    for (let i = 0; i < 10_000; i++) deep = i % 2 ? `[${deep}]` : `{"a":${deep}}`;
    const notes = good(10, 'deep');
    const raw = `{"notes":[${notes.map((n) => JSON.stringify(n)).join(',')},${deep}]}`;
    const { figure, submitted } = await run('10 good + a note nested 10,000 deep', { raw, count: 11 }, notes.map((n) => n.id));
    // Either refused at the door as a bad request, or accepted with the deep note failing alone.
    if (submitted.statusCode !== 202) expect({ status: submitted.statusCode, code: submitted.json().error?.code }).toMatchObject({ status: 400, code: expect.stringMatching(/^NER_ERR_HTTP_/) });
    else expect(figure).toMatchObject({ state: 'completed', stored: 10, done: 10, failed: 1, failuresWithReasons: 1 });
  }, COMPLETION_BOUND_MS + 30_000);
});
