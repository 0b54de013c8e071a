import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabasePool, isConnectionError } from '../../src/store/database.js';
import { services, tcpProxy } from '../helpers/services.js';

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
});
