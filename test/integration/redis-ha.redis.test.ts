import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { EXTRACT_QUEUE } from '../../src/queue/queues.js';
import { createRedisConnection, redisReady } from '../../src/queue/redis-connection.js';
import { createDatabasePool } from '../../src/store/database.js';
import { quoteIdentifier } from '../../src/store/migrate.js';
import { startApiProcess, type ApiProcess } from '../../scripts/api-process.js';
import { realisticNotes } from '../../scripts/realistic-notes.js';
import { assertBuiltFromSources, printFigure, requireTool } from '../attack/attack-checks.js';
import { redisServerBin } from '../helpers/private-redis.js';
import { redisSentinelCommand, startClusterSetup, startSentinelSetup } from '../helpers/redis-ha.js';
import { services, uniqueName } from '../helpers/services.js';

/**
 * The queue on highly available Redis, under real processes (node dist/main-api.js and two
 * dist/main-worker.js) configured by their environment only:
 * - Sentinel: a primary, a replica and three sentinels on loopback; a 20,000-note job; the primary SIGKILLed
 *   once a fifth of the notes are stored. The sentinels promote the replica, every process follows it, the
 *   job completes and PostgreSQL holds each note once. Printed: how long the failover took, and from the kill
 *   to the first batch committed to PostgreSQL and the first batch completed in Redis after it.
 * - Cluster: the same job on a three-node Redis Cluster (hash-tagged prefix).
 */
const NOTES = 20_000;
const WORKERS = 2;
const COMPLETION_BOUND_MS = 180_000;

const redisBin = redisServerBin();
const sentinelCommand = redisBin ? redisSentinelCommand(redisBin) : undefined;
const haveTools = requireTool(!!redisBin && !!sentinelCommand, "Debian's redis-server and redis-sentinel");

interface JobStatus {
  state: string;
  progress: { total: number; done: number; failed: number };
  failedBatches: unknown[];
}

describe.skipIf(!haveTools)('Redis high availability: a bulk job through a primary crash (Sentinel) and on a Redis Cluster', () => {
  let texts: string[];
  let pool: pg.Pool;
  const schema = uniqueName('redis_ha');
  const children: ChildProcess[] = [];
  let api: ApiProcess | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    assertBuiltFromSources();
    texts = await realisticNotes(loadConfig().corpusDir);
    pool = createDatabasePool(services.databaseUrl, { schema, max: 2 });
  }, 60_000);
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await api?.stop('SIGKILL');
    api = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await pool?.end();
  });

  /** The API and WORKERS workers on `redisEnv`, in the test's schema and a prefix of its own. */
  async function startService(redisEnv: Record<string, string>, prefix: string): Promise<{ env: Record<string, string>; workerLogs: string[][] }> {
    const env = {
      ...redisEnv, DATABASE_URL: services.databaseUrl, DATABASE_SCHEMA: schema, QUEUE_PREFIX: prefix, MAX_JOB_NOTES: String(NOTES),
      LOG_LEVEL: 'warn', WEB_CONCURRENCY: '1', MODEL_RELOAD_POLL_MS: '0', QUEUE_LOCK_MS: '10000',
    };
    const workerLogs: string[][] = [];
    for (let i = 0; i < WORKERS; i++) {
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/main-worker.js')], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const log: string[] = [];
      const keep = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) if (line && !line.includes('"batch done"')) log.push(line);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      children.push(child);
      workerLogs.push(log);
    }
    const started = Date.now();
    while (!workerLogs.every((log) => log.some((line) => line.includes('"worker started"')))) {
      if (Date.now() - started > 60_000) throw new Error(`workers did not start: ${workerLogs.map((l) => l.slice(-3).join(' | ')).join(' // ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    api = await startApiProcess(env);
    return { env, workerLogs };
  }

  async function submit(stem: string): Promise<{ jobId: string; submittedAt: number }> {
    const notes = Array.from({ length: NOTES }, (_, i) => ({ id: `${stem}-${String(i).padStart(5, '0')}`, text: texts[i % texts.length] }));
    const response = await fetch(`${api!.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes }) });
    expect(response.status, await response.clone().text()).toBe(202);
    return { jobId: ((await response.json()) as { jobId: string }).jobId, submittedAt: performance.now() };
  }

  async function pollUntilFinished(jobId: string, onStatus: (status: JobStatus) => Promise<void> = async () => {}): Promise<JobStatus | undefined> {
    const started = performance.now();
    let status: JobStatus | undefined;
    while (performance.now() - started < COMPLETION_BOUND_MS) {
      const response = await fetch(`${api!.url}/v1/jobs/${jobId}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (response?.status === 200) status = (await response.json()) as JobStatus;
      else await response?.text();
      if (status?.state === 'completed' || status?.state === 'failed') return status;
      if (status) await onStatus(status);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return status;
  }

  async function stored(stem: string, jobId: string): Promise<{ lost: number; duplicated: number; jobNotes: number }> {
    const { rows } = await pool.query<{ records: number; notes: number }>('SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE $1', [`${stem}-%`]);
    const { rows: jobNotes } = await pool.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT note_id)::int AS distinct FROM job_notes WHERE job_id = $1', [jobId]);
    return { lost: NOTES - (rows[0]?.notes ?? 0), duplicated: (rows[0]?.records ?? 0) - (rows[0]?.notes ?? 0) + (jobNotes[0]?.n ?? 0) - (jobNotes[0]?.distinct ?? 0), jobNotes: jobNotes[0]?.n ?? 0 };
  }

  const dead = (): number => children.filter((c) => c.exitCode !== null || c.signalCode !== null).length;

  it(`Sentinel: the primary SIGKILLed during a ${NOTES}-note job; the replica is promoted, the job completes, 0 lost, 0 duplicated`, async () => {
    const setup = await startSentinelSetup(redisBin!, sentinelCommand!);
    cleanups.push(() => setup.destroy());
    const prefix = uniqueName('ha');
    const redisEnv = { REDIS_SENTINELS: setup.sentinels, REDIS_SENTINEL_NAME: setup.masterName };
    await startService(redisEnv, prefix);
    const started = performance.now();
    const { jobId } = await submit('sentinel');

    const countCommitted = async (): Promise<number> => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_notes WHERE job_id = $1', [jobId])).rows[0]?.n ?? 0;
    const watcher = createRedisConnection({ ...loadConfig(redisEnv) });
    const queue = new Queue(EXTRACT_QUEUE, { connection: watcher, prefix });
    queue.on('error', () => {});
    cleanups.push(async () => {
      await queue.close().catch(() => {});
      watcher.disconnect();
    });
    let killedAt: number | undefined;
    let doneAtKill = 0;
    const recovery: { failoverMs?: number; firstCommitMs?: number; firstCompletedInRedisMs?: number; completedAtKill?: number } = {};
    // Watches from the kill on, every 50 ms: the sentinels' primary, PostgreSQL commits, BullMQ completions.
    let watching: Promise<void> | undefined;
    const watch = async (committedAtKill: number): Promise<void> => {
      while (performance.now() - killedAt! < 60_000 && (recovery.failoverMs === undefined || recovery.firstCommitMs === undefined || recovery.firstCompletedInRedisMs === undefined)) {
        const at = performance.now() - killedAt!;
        if (recovery.failoverMs === undefined && (await setup.currentPrimaryPort().catch(() => setup.primaryPort)) === setup.replicaPort) recovery.failoverMs = Math.round(at);
        if (recovery.firstCommitMs === undefined && (await countCommitted()) > committedAtKill) recovery.firstCommitMs = Math.round(at);
        if (recovery.firstCompletedInRedisMs === undefined && recovery.failoverMs !== undefined) {
          const completed = await queue.getCompletedCount().catch(() => undefined);
          if (completed !== undefined && recovery.completedAtKill !== undefined && completed > recovery.completedAtKill) recovery.firstCompletedInRedisMs = Math.round(performance.now() - killedAt!);
          // The new primary's count of completed batches (the replica's, as replicated before the kill).
          if (completed !== undefined && recovery.completedAtKill === undefined) recovery.completedAtKill = completed;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const status = await pollUntilFinished(jobId, async (s) => {
      if (killedAt === undefined && s.progress.done >= NOTES / 5) {
        doneAtKill = s.progress.done;
        const committedAtKill = await countCommitted();
        await setup.killPrimary();
        killedAt = performance.now();
        watching = watch(committedAtKill);
      }
    });
    await watching;
    const counts = await stored('sentinel', jobId);
    const figure = {
      test: 'redis-sentinel-failover', notes: NOTES, workers: WORKERS, doneWhenKilled: doneAtKill, state: status?.state ?? 'none', done: status?.progress.done ?? 0, failed: status?.progress.failed ?? 0,
      ...counts, processesDied: dead(), seconds: Number(((performance.now() - started) / 1000).toFixed(1)), failoverMs: recovery.failoverMs ?? null, killToFirstCommitMs: recovery.firstCommitMs ?? null, killToFirstCompletedInRedisMs: recovery.firstCompletedInRedisMs ?? null,
    };
    printFigure({ attack: 'redis-ha', ...figure });
    expect(killedAt, 'the job finished before a fifth of it was done: no kill happened').toBeDefined();
    expect(doneAtKill).toBeLessThan(NOTES);
    expect(figure).toMatchObject({ state: 'completed', done: NOTES, failed: 0, lost: 0, duplicated: 0, jobNotes: NOTES, processesDied: 0 });
    expect(await setup.currentPrimaryPort()).toBe(setup.replicaPort);
    expect(recovery.firstCompletedInRedisMs, 'a batch completed on the promoted replica').toBeDefined();
  }, COMPLETION_BOUND_MS + 120_000);

  it(`Cluster: the same ${NOTES}-note job on a three-node Redis Cluster, every key of a queue in one slot`, async () => {
    const setup = await startClusterSetup(redisBin!);
    cleanups.push(() => setup.destroy());
    const prefix = uniqueName('ha');
    const redisEnv = { REDIS_CLUSTER_NODES: setup.nodes };
    await startService(redisEnv, prefix);
    const started = performance.now();
    const { jobId } = await submit('cluster');
    const status = await pollUntilFinished(jobId);
    const seconds = (performance.now() - started) / 1000;
    const counts = await stored('cluster', jobId);

    // The keys went where the hash tag says: all of the prefix's keys on one node, in one slot.
    const config = loadConfig({ ...redisEnv, QUEUE_PREFIX: prefix });
    expect(config.queuePrefix).toBe(`{${prefix}}`);
    const cluster = createRedisConnection(config);
    cleanups.push(async () => {
      cluster.disconnect();
    });
    expect(await redisReady(cluster), 'the service\'s readiness check on a cluster').toBe(true);
    const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', config.queuePrefix));
    const keysPerNode = await Promise.all(setup.ports.map(async (port) => {
      const { Redis } = await import('ioredis');
      const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
      node.on('error', () => {});
      await node.connect();
      const keys = await node.keys(`${config.queuePrefix}:*`);
      const slots = new Set(await Promise.all(keys.slice(0, 50).map(async (key) => Number(await node.call('CLUSTER', 'KEYSLOT', key)))));
      node.disconnect();
      return { port, keys: keys.length, slots: [...slots] };
    }));
    const figure = { test: 'redis-cluster-job', notes: NOTES, workers: WORKERS, state: status?.state ?? 'none', done: status?.progress.done ?? 0, failed: status?.progress.failed ?? 0, ...counts, processesDied: dead(), seconds: Number(seconds.toFixed(1)), nodesHoldingKeys: keysPerNode.filter((n) => n.keys > 0).length };
    printFigure({ attack: 'redis-ha', ...figure });
    expect(figure).toMatchObject({ state: 'completed', done: NOTES, failed: 0, lost: 0, duplicated: 0, jobNotes: NOTES, processesDied: 0, nodesHoldingKeys: 1 });
    expect(keysPerNode.flatMap((n) => n.slots)).toEqual([slot]);
  }, COMPLETION_BOUND_MS + 60_000);
});
