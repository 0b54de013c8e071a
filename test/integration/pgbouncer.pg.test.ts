import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { isNerError } from '../../src/errors.js';
import { createDatabasePool } from '../../src/store/database.js';
import { migrate, quoteIdentifier } from '../../src/store/migrate.js';
import { startApiProcess, type ApiProcess } from '../../scripts/api-process.js';
import { pgbouncerBin, startPgBouncer, type PgBouncer } from '../../scripts/pgbouncer.js';
import { realisticNotes } from '../../scripts/realistic-notes.js';
import { assertBuiltFromSources, printFigure, requireTool } from '../attack/attack-checks.js';
import { runCli } from '../helpers/cli.js';
import { services, uniqueName } from '../helpers/services.js';

/**
 * PostgreSQL behind PgBouncer in transaction pooling (Debian's pgbouncer, started here), with a server pool
 * smaller than the clients: the API and two workers (the built processes) work unchanged with
 * DATABASE_PGBOUNCER=true — migrations (concurrent ones included), a bulk job, its records, the record routes —
 * so no session state crosses a transaction and no named prepared statement is used. PgBouncer's own counters
 * show the clients were multiplexed.
 */
const NOTES = 4_000;
const bin = pgbouncerBin();
const haveTools = requireTool(!!bin, "Debian's pgbouncer");

describe.skipIf(!haveTools)('PostgreSQL through PgBouncer (transaction pooling)', () => {
  const schema = uniqueName('pgbouncer');
  let bouncer: PgBouncer;
  let direct: pg.Pool;
  let api: ApiProcess | undefined;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    // Three server connections for every client below: the API's pool, two workers' pools, the test's.
    bouncer = await startPgBouncer(bin!, { databaseUrl: services.databaseUrl, schema, poolSize: 3 });
    direct = createDatabasePool(services.databaseUrl, { schema, max: 2 });
  }, 30_000);
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await api?.stop('SIGKILL');
    await bouncer?.stop();
    await direct?.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await direct?.end();
  });

  it('PgBouncer refuses the schema as a startup option: DATABASE_PGBOUNCER=true leaves it to the server', async () => {
    const sending = createDatabasePool(bouncer.url, { schema, max: 1 });
    await expect(sending.query('SELECT 1')).rejects.toThrow(/unsupported startup parameter: options/);
    await sending.end();
    const leaving = createDatabasePool(bouncer.url, { schema, viaPgBouncer: true, max: 1 });
    const { rows } = await leaving.query<{ path: string }>("SELECT current_setting('search_path') AS path");
    expect(rows[0]?.path.replace(/"/g, '')).toBe(schema);
    await leaving.end();
  });

  it('migrations run through it, several at once, into DATABASE_SCHEMA; a search_path elsewhere is refused with NER_ERR_DATABASE_SCHEMA', async () => {
    const pools = Array.from({ length: 3 }, () => createDatabasePool(bouncer.url, { schema, viaPgBouncer: true, max: 1 }));
    const applied = await Promise.all(pools.map((pool) => migrate(pool, schema)));
    await Promise.all(pools.map((pool) => pool.end()));
    // Exactly one of them applied each migration; the others found it applied.
    const all = applied.flat();
    expect(new Set(all).size).toBe(all.length);
    const { rows } = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(all.length).toBe(rows[0]?.n);
    expect(all.length).toBeGreaterThan(5);
    // No advisory lock stays behind on a server connection.
    const { rows: locks } = await direct.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
    expect(locks[0]?.n).toBe(0);

    // The CLI through PgBouncer, configured by the environment; then the same with a schema the server does not set.
    const cli = async (env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        return await runCli(['db', 'migrate']);
      } finally {
        for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
        Object.assign(process.env, saved);
      }
    };
    const ok = await cli({ DATABASE_URL: bouncer.url, DATABASE_SCHEMA: schema, DATABASE_PGBOUNCER: 'true' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ schema, applied: [] });
    const wrong = await cli({ DATABASE_URL: bouncer.url, DATABASE_SCHEMA: `${schema}_other`, DATABASE_PGBOUNCER: 'true' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('[NER_ERR_DATABASE_SCHEMA]');
    await direct.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(`${schema}_other`)}`);
    const pool = createDatabasePool(bouncer.url, { schema: 'elsewhere', viaPgBouncer: true, max: 1 });
    await expect(migrate(pool, 'elsewhere')).rejects.toSatisfy((error) => isNerError(error, 'NER_ERR_DATABASE_SCHEMA'));
    await pool.end();
    await direct.query('DROP SCHEMA IF EXISTS elsewhere');
  });

  it(`the API and two workers work unchanged through it: a ${NOTES}-note job, its records, the record routes`, async () => {
    assertBuiltFromSources();
    const texts = await realisticNotes(loadConfig().corpusDir);
    const env = {
      DATABASE_URL: bouncer.url, DATABASE_PGBOUNCER: 'true', DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: '4', QUEUE_PREFIX: uniqueName('pgb'),
      LOG_LEVEL: 'warn', WEB_CONCURRENCY: '1', MODEL_RELOAD_POLL_MS: '0', WORKER_CONCURRENCY: '3', NIGHTLY_CRON: '0 2 * * *',
    };
    for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [join(PROJECT_ROOT, 'dist/main-worker.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }));
    api = await startApiProcess(env);
    const ready = (await (await fetch(`${api.url}/ready`)).json()) as { dependencies: Record<string, { status: string }> };
    expect(ready.dependencies.postgres?.status).toBe('up');

    const ids = Array.from({ length: NOTES }, (_, i) => `pgb-${String(i).padStart(5, '0')}`);
    const started = performance.now();
    const submitted = await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes: ids.map((id, i) => ({ id, text: texts[i % texts.length] })) }) });
    expect(submitted.status).toBe(202);
    const { jobId } = (await submitted.json()) as { jobId: string };
    let status: { state: string; progress: { done: number; failed: number } } | undefined;
    while (performance.now() - started < 120_000) {
      status = (await (await fetch(`${api.url}/v1/jobs/${jobId}`)).json()) as typeof status;
      if (status?.state === 'completed' || status?.state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toMatchObject({ state: 'completed', progress: { done: NOTES, failed: 0 } });
    const seconds = (performance.now() - started) / 1000;

    // Every record streams back through PgBouncer (keyset pages), each note once.
    const ndjson = await (await fetch(`${api.url}/v1/jobs/${jobId}/records`)).text();
    const streamed = ndjson.trim().split('\n').map((line) => (JSON.parse(line) as { noteId?: string; id?: string }));
    expect(streamed).toHaveLength(NOTES);
    const { rows } = await direct.query<{ records: number; notes: number }>('SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE $1', ['pgb-%']);
    expect(rows[0]).toEqual({ records: NOTES, notes: NOTES });
    const records = await fetch(`${api.url}/v1/records?limit=5`);
    expect(records.status).toBe(200);

    // Clients outnumbered server connections: transactions were multiplexed.
    const pools = await bouncer.show('POOLS');
    const stats = await bouncer.show('STATS');
    const ours = pools.find((p) => p.user !== 'pgbouncer' && p.database !== 'pgbouncer');
    const totals = stats.find((s) => s.database !== 'pgbouncer');
    const clients = Number(ours?.cl_active ?? 0) + Number(ours?.cl_waiting ?? 0) + Number(ours?.cl_idle ?? 0);
    const servers = Number(ours?.sv_active ?? 0) + Number(ours?.sv_idle ?? 0) + Number(ours?.sv_used ?? 0) + Number(ours?.sv_tested ?? 0) + Number(ours?.sv_login ?? 0);
    printFigure({ attack: 'pgbouncer', notes: NOTES, seconds: Number(seconds.toFixed(1)), clientConnections: clients, serverConnections: servers, transactions: Number(totals?.total_xact_count ?? 0), queries: Number(totals?.total_query_count ?? 0) });
    expect(servers).toBeLessThanOrEqual(3);
    expect(clients).toBeGreaterThan(servers);
    expect(Number(totals?.total_xact_count)).toBeGreaterThan(NOTES / 100);
  }, 180_000);
});
