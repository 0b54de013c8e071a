/**
 * Part of npm run bench (scripts/bench.ts); alone: node --import tsx scripts/bench-queue.ts [--notes 100000]
 *
 * queue: realistic notes (test-split sentences joined into ~60-token notes, each with its own id) submitted
 * as POST /v1/jobs of MAX_JOB_NOTES to one API process, processed by two worker processes into PostgreSQL,
 * end to end (first submission to the last note stored). Runs in a schema and queue prefix of its own, removed
 * afterwards. lost = notes without a record; duplicated = records beyond one per note id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { realisticNotes } from './realistic-notes.js';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { EXTRACT_QUEUE, NIGHTLY_QUEUE } from '../src/queue/queues.js';
import { createRedisConnection, notesProcessedKey } from '../src/queue/redis-connection.js';
import { createDatabasePool } from '../src/store/database.js';
import { quoteIdentifier } from '../src/store/migrate.js';

const { values } = parseArgs({ options: { notes: { type: 'string', default: '100000' }, workers: { type: 'string', default: '2' }, only: { type: 'string' } } });
if (values.only && !values.only.split(',').includes('queue')) process.exit(0);
const total = Number(values.notes);
const config = loadConfig();
const suffix = `${Date.now().toString(36)}${process.pid}`;
const schema = `bench_${suffix}`;
const prefix = `bench${suffix}`;
const env = { ...process.env, DATABASE_SCHEMA: schema, QUEUE_PREFIX: prefix, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', WEB_CONCURRENCY: '1' };

const children: ChildProcess[] = [];
function start(script: string, extra: Record<string, string> = {}): ChildProcess {
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the API and workers (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, join(PROJECT_ROOT, 'dist', script)], { env: { ...env, ...extra }, stdio: ['ignore', process.env.BENCH_LOGS ? 'inherit' : 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

const texts = await realisticNotes(config.corpusDir);

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
start('main-api.js', { PORT: String(port) });
const workerCount = Number(values.workers);
for (let i = 0; i < workerCount; i++) start('main-worker.js');
const pool = createDatabasePool(config.databaseUrl, { schema, max: 2 });
const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
const queue = new Queue(EXTRACT_QUEUE, { connection: redis, prefix });
try {
  for (let attempt = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); attempt++) {
    if (attempt > 300) throw new Error('API did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Workers migrate the schema on start; wait until they have.
  for (let attempt = 0; ; attempt++) {
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'job_notes'", [schema]);
    if (rows[0].n === 1) break;
    if (attempt > 300) throw new Error('workers did not migrate the database');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const perSubmission = config.maxJobNotes;
  const started = performance.now();
  const jobIds: string[] = [];
  for (let offset = 0; offset < total; offset += perSubmission) {
    const notes = Array.from({ length: Math.min(perSubmission, total - offset) }, (_, i) => ({ id: `bench-${offset + i}`, text: texts[(offset + i) % texts.length] }));
    const response = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes }) });
    if (response.status !== 202) throw new Error(`submission answered ${response.status}: ${await response.text()}`);
    jobIds.push(((await response.json()) as { jobId: string }).jobId);
  }
  const submittedSeconds = (performance.now() - started) / 1000;
  let done = 0;
  let failed = 0;
  for (;;) {
    const statuses = await Promise.all(jobIds.map(async (id) => (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as { state: string; progress: { done: number; failed: number } }));
    done = statuses.reduce((sum, s) => sum + s.progress.done, 0);
    failed = statuses.reduce((sum, s) => sum + s.progress.failed, 0);
    if (statuses.every((s) => s.state === 'completed' || s.state === 'failed')) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await pool.query("SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE 'bench-%'");
  const batches = await queue.getJobs(['completed'], 0, -1);
  const batchMs = batches.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)).sort((a, b) => a - b);
  console.log(JSON.stringify({
    bench: 'queue',
    notes: total,
    notes_per_s: Math.round(total / seconds),
    seconds: Number(seconds.toFixed(1)),
    submit_seconds: Number(submittedSeconds.toFixed(1)),
    p99_batch_ms: batchMs[Math.min(batchMs.length - 1, Math.floor(batchMs.length * 0.99))],
    p50_batch_ms: batchMs[Math.floor(batchMs.length / 2)],
    batches: batchMs.length,
    batch_size: config.jobBatchSize,
    done,
    failed,
    lost: total - rows[0].notes,
    duplicated: rows[0].records - rows[0].notes,
    api_processes: 1,
    worker_processes: workerCount,
    worker_concurrency: config.workerConcurrency,
  }));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  // The workers registered the nightly scheduler under the bench's prefix too.
  const nightly = new Queue(NIGHTLY_QUEUE, { connection: redis, prefix });
  await nightly.obliterate({ force: true }).catch(() => {});
  await nightly.close();
  // The queue does not close a connection it was handed, and the workers' counter outlives the queue.
  await redis.del(notesProcessedKey(prefix)).catch(() => {});
  redis.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await pool.end();
}
