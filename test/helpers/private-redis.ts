import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/free-port.js';

/** The redis-server binary (REDIS_SERVER_BIN, else redis-server on the PATH), or undefined. */
export function redisServerBin(): string | undefined {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  return spawnSync(bin, ['--version']).status === 0 ? bin : undefined;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: no shutdown, as a crash would). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory: it reloads its append-only file. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A redis-server of the test's own on a free port, persisting as BullMQ's Redis must: an append-only file
 * written before every reply (`appendfsync always`), so that a server killed and started again holds every
 * queued batch it acknowledged. (With `--save ""` and no AOF a restart empties the queue.)
 */
export async function startPrivateRedis(bin: string): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'behealthy-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--logfile', join(dir, 'redis.log')];
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async (): Promise<void> => {
    child = spawn(bin, args, { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      for (let attempt = 0; ; attempt++) {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (log in ${dir})`);
        const ok = await probe.connect().then(() => probe.ping()).then(
          (pong) => pong === 'PONG',
          () => false,
        );
        // Loading the append-only file answers LOADING until it is done.
        if (ok) return;
        probe.disconnect();
        if (attempt > 200) throw new Error('redis-server did not start');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      probe.disconnect();
    }
  };
  const kill = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    kill,
    start,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
