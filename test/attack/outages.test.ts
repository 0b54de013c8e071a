import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { EXTRACT_QUEUE } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createDatabasePool } from '../../src/store/database.js';
import { startApiProcess, type ApiProcess } from '../../scripts/api-process.js';
import { realisticNotes } from '../../scripts/realistic-notes.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { redisServerBin, startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { assertBuiltFromSources, errorShapeProblem, printFigure, requireTool } from './attack-checks.js';

/**
 * PostgreSQL and Redis outages during a 20,000-note job, on a PostgreSQL and a Redis the test starts
 * itself, under real processes: two workers (node dist/main-worker.js) and an API (node dist/main-api.js),
 * configured by their environment. PostgreSQL is stopped for 20 s mid-job (pg_ctl stop -m fast: every
 * session ends with an error) and started again; then Redis is killed (SIGKILL) for 20 s and started again
 * on its append-only file. No process may die, the job must complete, and every note id must be in
 * `records` exactly once. Workers are also started while PostgreSQL is down: they wait for it.
 */
const NOTES = 20_000;
const OUTAGE_MS = 20_000;
const WORKERS = 2;
const COMPLETION_BOUND_MS = 240_000;
const SCHEMA = 'attack';
const PREFIX = 'attack';

const binDir = postgresBinDir();
const redisBin = redisServerBin();
const haveTools = requireTool(!!binDir && !!redisBin, "PostgreSQL's server binaries (/usr/lib/postgresql/<version>/bin) and redis-server");

interface WorkerProcess {
  child: ChildProcess;
  log: string[];
}

interface JobStatus {
  state: string;
  progress: { total: number; done: number; failed: number };
  failedBatches: unknown[];
}

describe.skipIf(!haveTools)('attack: PostgreSQL and Redis outages during a job', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let env: Record<string, string>;
  let api: ApiProcess;
  let pool: pg.Pool;
  const workers: WorkerProcess[] = [];
  let texts: string[];

  const startWorkerProcess = (): WorkerProcess => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/main-worker.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const worker: WorkerProcess = { child, log: [] };
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line && !line.includes('"batch done"')) worker.log.push(line);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    workers.push(worker);
    return worker;
  };
  const waitFor = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> => {
    const started = Date.now();
    while (!(await probe())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const dead = (): string[] => workers.filter((w) => w.child.exitCode !== null || w.child.signalCode !== null).map((w) => `pid ${w.child.pid} exited ${w.child.exitCode ?? w.child.signalCode}: ${w.log.slice(-5).join(' | ')}`);

  beforeAll(async () => {
    assertBuiltFromSources();
    postgres = await startPrivatePostgres(binDir as string);
    redis = await startPrivateRedis(redisBin as string);
    env = {
      DATABASE_URL: postgres.url, REDIS_URL: redis.url, DATABASE_SCHEMA: SCHEMA, QUEUE_PREFIX: PREFIX, MAX_JOB_NOTES: String(NOTES),
      LOG_LEVEL: 'info', WEB_CONCURRENCY: '1', MODEL_RELOAD_POLL_MS: '0',
    };
    pool = createDatabasePool(postgres.url, { schema: SCHEMA, max: 2 });
    texts = await realisticNotes(loadConfig().corpusDir);
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await api?.stop('SIGKILL');
    await pool?.end();
    await redis?.destroy();
    await postgres?.destroy();
  });

  it('workers started while PostgreSQL is down wait for it, saying so, and start once it is up', async () => {
    await postgres.stop('fast');
    for (let i = 0; i < WORKERS; i++) startWorkerProcess();
    await waitFor('each worker to report PostgreSQL unreachable', () => workers.every((w) => w.log.some((line) => line.includes('PostgreSQL unreachable'))), 60_000);
    await postgres.start();
    await waitFor('the workers to start', () => workers.every((w) => w.log.some((line) => line.includes('"worker started"'))) || dead().length > 0, 90_000);
    printFigure({ attack: 'outage-worker-start', dependency: 'postgres', workers: WORKERS, waitedForPostgres: workers.filter((w) => w.log.some((l) => l.includes('PostgreSQL unreachable'))).length, started: workers.filter((w) => w.log.some((l) => l.includes('"worker started"'))).length, died: dead().length });
    expect(dead()).toEqual([]);
    api = await startApiProcess(env);
  }, 180_000);

  /** Submits NOTES notes, takes the dependency down for OUTAGE_MS once a fifth are done, and checks the outcome. */
  async function jobThroughOutage(dependency: 'postgres' | 'redis', stem: string, outage: { down(): Promise<void>; up(): Promise<void> }) {
    const ids = Array.from({ length: NOTES }, (_, i) => `${stem}-${String(i).padStart(5, '0')}`);
    const notes = ids.map((id, i) => ({ id, text: texts[i % texts.length] }));
    const started = performance.now();
    const submitted = await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes }) });
    expect(submitted.status, await submitted.clone().text()).toBe(202);
    const { jobId } = (await submitted.json()) as { jobId: string };
    const polls = { ok: 0, status503: 0, offShape: 0, failedRequests: 0 };
    let status: JobStatus | undefined;
    let outageStartedAt: number | undefined;
    let outageEndedAt: number | undefined;
    let doneAtOutage = 0;
    let restore: Promise<void> | undefined;
    while (performance.now() - started < COMPLETION_BOUND_MS) {
      const response = await fetch(`${api.url}/v1/jobs/${jobId}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (!response) polls.failedRequests++;
      else if (response.status === 200) {
        polls.ok++;
        status = (await response.json()) as JobStatus;
      } else {
        const body = await response.text();
        if (response.status === 503) polls.status503++;
        if (response.status !== 503 || errorShapeProblem(503, response.headers.get('content-type') ?? undefined, body)) polls.offShape++;
      }
      if (status?.state === 'completed' || status?.state === 'failed') break;
      if (outageStartedAt === undefined && (status?.progress.done ?? 0) >= NOTES / 5) {
        doneAtOutage = status?.progress.done ?? 0;
        outageStartedAt = performance.now();
        await outage.down();
        restore = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)).then(async () => {
          await outage.up();
          outageEndedAt = performance.now();
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await restore;
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await pool.query<{ records: number; notes: number }>('SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE $1', [`${stem}-%`]);
    const { rows: jobNotes } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_notes WHERE job_id = $1', [jobId]);
    const connection = createRedisConnection(redis.url, { forBullmq: true });
    const queue = new Queue(EXTRACT_QUEUE, { connection, prefix: PREFIX });
    queue.on('error', () => {});
    const batches = await Promise.all(Array.from({ length: Math.ceil(NOTES / 100) }, (_, i) => queue.getJob(`${jobId}.${i}`)));
    await queue.close();
    connection.disconnect();
    const attempts = batches.map((job) => job?.attemptsMade ?? 0);
    const figure = {
      attack: 'outage', dependency, notes: NOTES, outageSeconds: OUTAGE_MS / 1000, doneWhenStopped: doneAtOutage,
      workers: WORKERS, workersDied: dead().length, apiDied: api.child.exitCode !== null,
      state: status?.state ?? 'none', done: status?.progress.done ?? 0, failed: status?.progress.failed ?? 0, failedBatches: status?.failedBatches.length ?? 0,
      lost: NOTES - (rows[0]?.notes ?? 0), duplicated: (rows[0]?.records ?? 0) - (rows[0]?.notes ?? 0), jobNotes: jobNotes[0]?.n ?? 0,
      maxAttemptsOfABatch: Math.max(...attempts), batchesRetried: attempts.filter((a) => a > 1).length,
      seconds: Number(seconds.toFixed(1)), secondsAfterRestart: outageEndedAt ? Number(((performance.now() - outageEndedAt) / 1000).toFixed(1)) : null,
      statusPolls: polls,
    };
    printFigure(figure);
    expect(dead()).toEqual([]);
    expect(outageStartedAt, 'the job finished before a fifth of it was done: no outage happened').toBeDefined();
    expect(figure).toMatchObject({ apiDied: false, state: 'completed', done: NOTES, failed: 0, failedBatches: 0, lost: 0, duplicated: 0, jobNotes: NOTES });
    expect(polls.offShape).toBe(0);
  }

  it(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s during a ${NOTES}-note job: no process dies, the job completes, 0 lost, 0 duplicated`, async () => {
    await jobThroughOutage('postgres', 'pg', { down: () => postgres.stop('fast'), up: () => postgres.start() });
  }, COMPLETION_BOUND_MS + 60_000);

  it(`Redis killed for ${OUTAGE_MS / 1000} s during a ${NOTES}-note job (restarted on its append-only file): the same`, async () => {
    await jobThroughOutage('redis', 'redis', { down: () => redis.kill(), up: () => redis.start() });
  }, COMPLETION_BOUND_MS + 60_000);
});
