import type pg from 'pg';
import { NerError } from '../errors.js';
import { isConnectionError } from './sql-state.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** An arbitrary constant: the advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 4_211_337;

/**
 * Applies the migrations not yet applied, each in its own transaction, under a transaction-scoped advisory
 * lock (pg_advisory_xact_lock) so that several workers starting together do not race: every statement that
 * needs the lock runs in the transaction holding it, so the migration also works through PgBouncer's
 * transaction pooling, where consecutive transactions may run on different server connections and a session
 * lock would stay behind on one of them. Returns the ids applied.
 *
 * `schema` must be where the connection's search_path puts new tables: set by the pool (DATABASE_SCHEMA as a
 * startup option) or, through PgBouncer (DATABASE_PGBOUNCER), by the server; checked before anything is created.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const client = await pool.connect();
  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  };
  try {
    await inTransaction(async () => {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      await assertSearchPath(client, schema);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    });
    const done: string[] = [];
    for (const migration of migrations) {
      const applied = await inTransaction(async () => {
        const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
        if (rowCount) return false;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
        return true;
      });
      if (applied) done.push(migration.id);
    }
    return done;
  } finally {
    client.release();
  }
}

/** New tables go to `schema` (the first existing schema of the search_path), or NER_ERR_DATABASE_SCHEMA says how to make it so. */
async function assertSearchPath(client: pg.PoolClient, schema: string): Promise<void> {
  const { rows } = await client.query<{ path: string; current: string | null }>("SELECT current_setting('search_path') AS path, current_schema() AS current");
  if (rows[0]?.current !== schema) {
    throw new NerError(
      'NER_ERR_DATABASE_SCHEMA',
      `the connection's search_path is "${rows[0]?.path ?? ''}", not DATABASE_SCHEMA "${schema}": through PgBouncer (DATABASE_PGBOUNCER=true) set it on the server (ALTER ROLE … SET search_path = ${schema}, or PgBouncer's connect_query)`,
    );
  }
}

export interface MigrationWait {
  /** Called before each wait: PostgreSQL could not be reached on this attempt (1, 2, …). */
  onUnreachable(attempt: number, delayMs: number, error: Error): void;
  /** Longest wait between attempts (the waits double from 1 s up to it). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * migrate(), waiting for PostgreSQL as long as it takes: a process started before its database (an
 * orchestrator starts them together; the database restarts) tries again with backoff instead of exiting,
 * and says so at every attempt. An error PostgreSQL answers (a migration it refuses) is thrown at once.
 */
export async function migrateWhenReachable(pool: pg.Pool, schema: string, wait: MigrationWait, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate(pool, schema, migrations);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      const delayMs = Math.min(1_000 * 2 ** (attempt - 1), wait.maxDelayMs ?? 30_000);
      wait.onUnreachable(attempt, delayMs, error as Error);
      await sleep(delayMs);
    }
  }
}

/** A schema name as an SQL identifier (config validates it: lower-case letters, digits, underscores). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
