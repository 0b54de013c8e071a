import { randomBytes } from 'node:crypto';
import { createServer, Socket, type Server } from 'node:net';
import type pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createDatabasePool } from '../../src/store/database.js';
import { migrate, quoteIdentifier } from '../../src/store/migrate.js';
import type { Migration } from '../../src/store/migrations.js';

/** The machine's services, as configured for the tests (REDIS_URL, DATABASE_URL or their defaults). */
export const services = (() => {
  const config = loadConfig();
  return { redisUrl: config.redisUrl, databaseUrl: config.databaseUrl };
})();

/** A name no other test run uses: for queue prefixes and schemas. */
export function uniqueName(stem: string): string {
  return `${stem}_${randomBytes(5).toString('hex')}`;
}

/** A fresh, migrated schema; drop() removes it and everything in it. */
export async function freshSchema(options: { migrations?: readonly Migration[] } = {}): Promise<{ schema: string; pool: pg.Pool; drop(): Promise<void> }> {
  const schema = uniqueName('test');
  const pool = createDatabasePool(services.databaseUrl, { schema, max: 4 });
  await migrate(pool, schema, options.migrations);
  return {
    schema,
    pool,
    async drop() {
      await pool.query(`DROP SCHEMA ${quoteIdentifier(schema)} CASCADE`);
      await pool.end();
    },
  };
}

/**
 * A TCP proxy the test owns, in front of a real server: cut() refuses new connections and breaks the open
 * ones, restore() lets them through again. Cuts a dependency without touching the machine's servers.
 */
export async function tcpProxy(target: { host: string; port: number }): Promise<{ url: (base: string) => string; port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  let down = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(target.port, target.host, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (base) => {
      const url = new URL(base);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
