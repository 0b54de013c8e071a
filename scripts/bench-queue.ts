/**
 * Part of npm run bench (scripts/bench.ts); alone: node --import tsx scripts/bench-queue.ts [--notes 100000]
 *
 * queue: realistic notes (test-split sentences joined into ~60-token notes, each with its own id) submitted
 * as POST /v1/jobs of MAX_JOB_NOTES to one API process, processed by two worker processes into PostgreSQL,
 * end to end (first submission to the last note stored). Runs in a schema and queue prefix of its own, removed
 * afterwards. lost = notes without a record; duplicated = records beyond one per note id. Also printed, for the
 * capacity model (docs/scaling.md): the workers' and the API's CPU seconds and peak RSS, notes per worker CPU
 * second, Redis memory per queued note (a submission measured before any worker takes it) and PostgreSQL bytes
 * per stored record (tables and indexes).
 *
 * queue-pgbouncer: runs of --compare-notes notes (20,000), directly and with DATABASE_URL through PgBouncer in
 * transaction pooling (Debian's pgbouncer, started here; DATABASE_PGBOUNCER=true) in turns, --compare-rounds
 * (3) of each; the median notes/s through PgBouncer as a ratio of the direct median.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { EXTRACT_QUEUE, NIGHTLY_QUEUE } from '../src/queue/queues.js';
import { createRedisConnection, notesProcessedKey } from '../src/queue/redis-connection.js';
import { createDatabasePool } from '../src/store/database.js';
import { migrate, quoteIdentifier } from '../src/store/migrate.js';
import { servingPids } from './api-process.js';
import { freePort } from './free-port.js';
import { pgbouncerBin, startPgBouncer } from './pgbouncer.js';
import { realisticNotes } from './realistic-notes.js';

const { values } = parseArgs({
  options: {
    notes: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '2' },
    'compare-notes': { type: 'string', default: '20000' },
    'compare-rounds': { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const only = values.only?.split(',');
const wanted = (name: string): boolean => !only || only.includes(name);
if (!wanted('queue') && !wanted('queue-pgbouncer')) process.exit(0);
const workerCount = Number(values.workers);
const config = loadConfig();
const texts = await realisticNotes(config.corpusDir);
const REDIS_PROBE_NOTES = 10_000;

/** CPU seconds (user + system) a process has used so far, and its peak RSS (VmHWM) in MB: Linux /proc. */
function usage(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, peakRssMb: hwm ? Number(hwm[1]) / 1024 : Number.NaN };
}

async function redisUsedMemory(redis: ReturnType<typeof createRedisConnection>): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

interface QueueRun {
  notes_per_s: number;
  line: Record<string, unknown>;
}

/** A schema and a queue prefix of a run's own. */
function runNames(): { schema: string; prefix: string } {
  const suffix = `${Date.now().toString(36)}${process.pid}`;
  return { schema: `bench_${suffix}`, prefix: `bench${suffix}` };
}

/** One end-to-end run: API + workers on `databaseUrl`; `measureRedis` adds the Redis-memory probe first. */
async function queueRun(bench: string, databaseUrl: string, options: { schema: string; prefix: string; viaPgBouncer: boolean; measureRedis: boolean; notes: number }): Promise<QueueRun> {
  const total = options.notes;
  const { schema, prefix } = options;
  const env = {
    ...process.env, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, DATABASE_PGBOUNCER: String(options.viaPgBouncer), QUEUE_PREFIX: prefix,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', WEB_CONCURRENCY: '1',
  };
  const children: ChildProcess[] = [];
  const start = (script: string, extra: Record<string, string> = {}): ChildProcess => {
    // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the API and workers (NODE_OPTIONS refuses --cpu-prof).
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, join(PROJECT_ROOT, 'dist', script)], { env: { ...env, ...extra }, stdio: ['ignore', process.env.BENCH_LOGS ? 'inherit' : 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  // The bench's own connection goes straight to PostgreSQL (for counting and dropping the schema).
  const pool = createDatabasePool(config.databaseUrl, { schema, max: 2 });
  const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
  const queue = new Queue(EXTRACT_QUEUE, { connection: redis, prefix });
  try {
    await migrate(pool, schema);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const api = start('main-api.js', { PORT: String(port) });
    for (let attempt = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); attempt++) {
      if (attempt > 300) throw new Error('API did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const submit = async (ids: string[]): Promise<string> => {
      const notes = ids.map((id, i) => ({ id, text: texts[i % texts.length] }));
      const response = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes }) });
      if (response.status !== 202) throw new Error(`submission answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { jobId: string }).jobId;
    };

    // Redis memory per queued note: one submission waiting, no worker yet; then removed.
    let redisBytesPerNote: number | undefined;
    if (options.measureRedis) {
      const before = await redisUsedMemory(redis);
      await submit(Array.from({ length: Math.min(REDIS_PROBE_NOTES, config.maxJobNotes) }, (_, i) => `probe-${i}`));
      redisBytesPerNote = Math.round((await redisUsedMemory(redis)) - before) / Math.min(REDIS_PROBE_NOTES, config.maxJobNotes);
      await queue.obliterate({ force: true });
    }

    const workers = Array.from({ length: workerCount }, () => start('main-worker.js'));
    // A worker connects its BullMQ worker once it has loaded the model and migrated: CPU is counted from then.
    for (let attempt = 0; (await queue.getWorkersCount()) < workerCount; attempt++) {
      if (attempt > 1_200) throw new Error('the workers did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The API's serving process is a child of the one started (WEB_CONCURRENCY=1 with a heap limit forks it).
    const apiPids = [...new Set([api.pid!, ...servingPids(api.pid!)])];
    const apiUsage = (): { cpuSeconds: number; peakRssMb: number } => {
      const all = apiPids.map(usage);
      return { cpuSeconds: all.reduce((sum, u) => sum + u.cpuSeconds, 0), peakRssMb: Math.max(...all.map((u) => u.peakRssMb)) };
    };
    const cpuBefore = [...workers.map((child) => usage(child.pid!)), apiUsage()].map((u) => u.cpuSeconds);
    const redisBefore = await redisUsedMemory(redis);

    const perSubmission = config.maxJobNotes;
    const started = performance.now();
    const jobIds: string[] = [];
    for (let offset = 0; offset < total; offset += perSubmission) {
      jobIds.push(await submit(Array.from({ length: Math.min(perSubmission, total - offset) }, (_, i) => `bench-${offset + i}`)));
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
    const after = [...workers.map((child) => usage(child.pid!)), apiUsage()];
    // What Redis still holds once every batch completed: the completed jobs (note ids only) until QUEUE_KEEP_COMPLETED_SECONDS.
    const redisAfter = await redisUsedMemory(redis);
    const workerCpu = after.slice(0, workerCount).reduce((sum, u, i) => sum + u.cpuSeconds - cpuBefore[i]!, 0);
    const apiCpu = after[workerCount]!.cpuSeconds - cpuBefore[workerCount]!;
    const { rows } = await pool.query("SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE 'bench-%'");
    const { rows: size } = await pool.query<{ bytes: string }>('SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ($2, $3)', [schema, 'r', 'm']);
    const batches = await queue.getJobs(['completed'], 0, -1);
    const batchMs = batches.map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0)).sort((a, b) => a - b);
    const notesPerS = Math.round(total / seconds);
    return {
      notes_per_s: notesPerS,
      line: {
        bench,
        notes: total,
        notes_per_s: notesPerS,
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
        notes_per_s_per_worker: Math.round(notesPerS / workerCount),
        worker_cpu_seconds: Number(workerCpu.toFixed(1)),
        notes_per_worker_cpu_second: Math.round(total / workerCpu),
        api_cpu_seconds: Number(apiCpu.toFixed(1)),
        worker_peak_rss_mb: Math.round(Math.max(...after.slice(0, workerCount).map((u) => u.peakRssMb))),
        api_peak_rss_mb: Math.round(after[workerCount]!.peakRssMb),
        pg_bytes_per_record: Math.round(Number(size[0]?.bytes ?? 0) / rows[0].records),
        ...(redisBytesPerNote !== undefined ? { redis_bytes_per_queued_note: Math.round(redisBytesPerNote) } : {}),
        redis_bytes_per_completed_note: Math.round((redisAfter - redisBefore) / total),
        avg_note_chars: Math.round(texts.reduce((sum, t) => sum + t.length, 0) / texts.length),
        ...(options.viaPgBouncer ? { via: 'pgbouncer (transaction pooling)' } : { via: 'postgres' }),
      },
    };
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
}

if (wanted('queue')) {
  const run = await queueRun('queue', config.databaseUrl, { ...runNames(), viaPgBouncer: false, measureRedis: true, notes: Number(values.notes) });
  console.log(JSON.stringify(run.line));
}
if (wanted('queue-pgbouncer')) {
  const bin = pgbouncerBin();
  if (!bin) throw new Error("queue-pgbouncer needs Debian's pgbouncer (apt-get install pgbouncer)");
  // Direct and through PgBouncer in turns, so that the machine's other load weighs on both alike; the
  // medians are compared. PgBouncer sets the run's schema as search_path on each server connection (what
  // DATABASE_SCHEMA becomes behind it); 10 server connections for the API's 4 and the workers'
  // 2 × (WORKER_CONCURRENCY + 1) client connections.
  const notes = Number(values['compare-notes']);
  const rounds = Number(values['compare-rounds']);
  const direct: number[] = [];
  const pooled: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const run = await queueRun('queue-direct-round', config.databaseUrl, { ...runNames(), viaPgBouncer: false, measureRedis: false, notes });
    direct.push(run.notes_per_s);
    const names = runNames();
    const bouncer = await startPgBouncer(bin, { databaseUrl: config.databaseUrl, schema: names.schema, poolSize: 10 });
    try {
      const via = await queueRun('queue-pgbouncer-round', bouncer.url, { ...names, viaPgBouncer: true, measureRedis: false, notes });
      pooled.push(via.notes_per_s);
      if (via.line.lost !== 0 || via.line.duplicated !== 0 || via.line.failed !== 0) throw new Error(`through PgBouncer: ${JSON.stringify(via.line)}`);
    } finally {
      await bouncer.stop();
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(JSON.stringify({
    bench: 'queue-pgbouncer',
    notes_per_round: notes,
    rounds,
    direct_notes_per_s: median(direct),
    pgbouncer_notes_per_s: median(pooled),
    notes_per_s_vs_direct: Number((median(pooled) / median(direct)).toFixed(3)),
    direct_rounds: direct,
    pgbouncer_rounds: pooled,
    pool_mode: 'transaction',
    server_pool_size: 10,
  }));
}
