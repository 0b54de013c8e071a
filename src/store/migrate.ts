import type pg from 'pg';
import { isConnectionError } from './sql-state.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** An arbitrary constant: the advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 4_211_337;

/**
 * Applies the migrations not yet applied, each in its own transaction, under an advisory lock so that
 * several workers starting together do not race. Returns the ids applied.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.id));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      done.push(migration.id);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
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
