import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabasePool } from '../../src/store/database.js';
import { isConnectionError } from '../../src/store/sql-state.js';
import { migrateWhenReachable, quoteIdentifier } from '../../src/store/migrate.js';
import { services, tcpProxy, uniqueName } from '../helpers/services.js';

/**
 * PostgreSQL going away under a process: through a TCP proxy the test cuts, in front of the machine's
 * server. The full outage (a real server stopped under worker processes) is in test/attack/outages.test.ts.
 */
describe('PostgreSQL outages', () => {
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  beforeAll(async () => {
    const target = new URL(services.databaseUrl);
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(() => proxy.close());

  it('a client checked out of the pool when the connection drops: the statement fails, the process does not, the pool recovers', async () => {
    const pool = createDatabasePool(proxy.url(services.databaseUrl), { max: 2 });
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      // (events.once would reject on the 'error' event that comes first.)
      const ended = new Promise((resolve) => client.once('end', resolve));
      proxy.cut();
      await ended;
      // Without a listener this 'error' event (pg emits it when the connection ends mid-checkout) ends the process.
      expect(() => client.emit('error', new Error('Connection terminated unexpectedly'))).not.toThrow();
      const failed = await client.query('SELECT 1').then(() => undefined, (error: unknown) => error);
      expect(isConnectionError(failed), String(failed)).toBe(true);
      client.release();
      proxy.restore();
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      proxy.restore();
      await pool.end();
    }
  }, 15_000);

  it('a worker started before PostgreSQL migrates once it is reachable, saying so at every attempt', async () => {
    const schema = uniqueName('outage');
    const pool = createDatabasePool(proxy.url(services.databaseUrl), { schema, max: 2 });
    const waits: { attempt: number; delayMs: number; error: string }[] = [];
    try {
      proxy.cut();
      const applied = await migrateWhenReachable(pool, schema, {
        onUnreachable: (attempt, delayMs, error) => waits.push({ attempt, delayMs, error: error.message }),
        sleep: async () => {
          if (waits.length === 2) proxy.restore();
        },
      });
      expect(applied.length).toBeGreaterThan(0);
      expect(waits.map((w) => [w.attempt, w.delayMs])).toEqual([[1, 1_000], [2, 2_000]]);
    } finally {
      proxy.restore();
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await pool.end();
    }
  });

  it('a migration PostgreSQL refuses is thrown at once, not retried', async () => {
    const schema = uniqueName('outage');
    const pool = createDatabasePool(services.databaseUrl, { schema, max: 2 });
    let waits = 0;
    try {
      const migrating = migrateWhenReachable(pool, schema, { onUnreachable: () => waits++ }, [{ id: '0001-broken', sql: 'CREATE TABLEX nothing ()' }]);
      await expect(migrating).rejects.toThrow(/syntax error/);
      expect(waits).toBe(0);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await pool.end();
    }
  });
});
