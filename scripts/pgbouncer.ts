import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

/**
 * A PgBouncer of the caller's own (Debian's pgbouncer) on a free loopback port, in front of the PostgreSQL of
 * `databaseUrl`, in transaction pooling: a server connection is lent to a client for one transaction only.
 * Its one database entry sets `search_path` to `schema` on each server connection (connect_query), as a
 * deployment does for DATABASE_SCHEMA (the service, with DATABASE_PGBOUNCER=true, sends no startup option).
 * Used by the PgBouncer test and the queue bench.
 */

/** The pgbouncer binary (PGBOUNCER_BIN, else pgbouncer on the PATH or in /usr/sbin), or undefined. */
export function pgbouncerBin(): string | undefined {
  for (const bin of [process.env.PGBOUNCER_BIN, 'pgbouncer', '/usr/sbin/pgbouncer']) {
    if (bin && spawnSync(bin, ['--version']).status === 0) return bin;
  }
  return undefined;
}

export interface PgBouncer {
  /** DATABASE_URL through PgBouncer. */
  url: string;
  port: number;
  /** SHOW <what> on PgBouncer's admin console (POOLS, STATS…), as rows of column → value. */
  show(what: string): Promise<Record<string, string>[]>;
  log(): string;
  stop(): Promise<void>;
}

export async function startPgBouncer(bin: string, options: { databaseUrl: string; schema: string; poolSize: number; maxClients?: number }): Promise<PgBouncer> {
  const target = new URL(options.databaseUrl);
  const user = decodeURIComponent(target.username || userInfo().username);
  const password = decodeURIComponent(target.password);
  const database = target.pathname.slice(1) || user;
  const dir = mkdtempSync(join(tmpdir(), 'behealthy-pgbouncer-'));
  const port = await freePort();
  const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
  const server = [`host=${target.hostname || '127.0.0.1'}`, `port=${target.port || '5432'}`, `dbname=${database}`, `user=${user}`, ...(password ? [`password=${password}`] : []), `pool_size=${options.poolSize}`, `connect_query=${quote(`SET search_path TO "${options.schema}"`)}`];
  writeFileSync(join(dir, 'users.txt'), `"${user}" "${password}"\n`);
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `${database} = ${server.join(' ')}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    `admin_users = ${user}`,
    'pool_mode = transaction',
    `max_client_conn = ${options.maxClients ?? 200}`,
    `default_pool_size = ${options.poolSize}`,
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    'log_connections = 0',
    'log_disconnections = 0',
    '',
  ].join('\n'));
  // PgBouncer refuses to run as root: as root, it drops to an unprivileged user that owns its directory.
  const args: string[] = [];
  if (process.getuid?.() === 0) {
    const runAs = ['postgres', 'nobody'].find((name) => spawnSync('id', ['-u', name]).status === 0) ?? 'nobody';
    const uid = Number(spawnSync('id', ['-u', runAs], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', runAs], { encoding: 'utf8' }).stdout.trim());
    for (const file of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, file), uid, gid);
    args.push('-u', runAs);
  }
  const child: ChildProcess = spawn(bin, [...args, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const log = (): string => (existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : '');
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${log().slice(-500)}`);
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (listening) break;
    if (attempt > 100) throw new Error(`pgbouncer did not listen on ${port}: ${log().slice(-500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const credentials = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  const url = `postgres://${credentials}@127.0.0.1:${port}/${database}`;
  return {
    url,
    port,
    async show(what) {
      const { default: pg } = await import('pg');
      // The admin console speaks the simple query protocol only (what pg uses for a query without parameters).
      const client = new pg.Client({ connectionString: `postgres://${credentials}@127.0.0.1:${port}/pgbouncer` });
      await client.connect();
      try {
        const result = await client.query({ text: `SHOW ${what}`, rowMode: 'array' });
        return (result.rows as unknown[][]).map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, String(row[i])])));
      } finally {
        await client.end();
      }
    },
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
