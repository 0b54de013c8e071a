import pg from 'pg';
import { redactUrl } from '../config.js';
import type { DependencyCheck } from '../dependency-check.js';

/** A PostgreSQL pool that tolerates the server being absent: connections are made on demand and time out fast. */
/**
 * `schema` goes to the server as a startup option (search_path); `viaPgBouncer` leaves it out, since PgBouncer
 * refuses startup options: the server then sets the search_path (migrate() checks it).
 */
export function createDatabasePool(url: string, options: { max?: number; schema?: string; viaPgBouncer?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // Tables live in DATABASE_SCHEMA (tests use a fresh one per run).
    ...(options.schema && !options.viaPgBouncer ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
  pool.on('error', () => {});
  // A client checked out of the pool (a transaction, the migration's lock) has none of the pool's listeners:
  // when the server goes away meanwhile (stopped, restarted, the network cut) the client emits 'error'
  // ("Connection terminated unexpectedly"), and an 'error' event nobody listens to ends the process. The
  // statement in hand already fails with that error and the pool discards a broken client when it is
  // released, so the event needs no more handling than a listener, on every client the pool opens.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function databaseDependency(pool: pg.Pool, url: string): DependencyCheck {
  return {
    name: 'postgres',
    neededBy: 'stored records (GET /v1/records, /v1/jobs/:id/records, insights)',
    hint: `start PostgreSQL at ${redactUrl(url)} or set DATABASE_URL`,
    async check() {
      await pool.query('SELECT 1');
    },
  };
}
