import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/free-port.js';

/**
 * Redis topologies of the test's own on loopback, from Debian's redis-server (and redis-sentinel, which is the
 * same program started with --sentinel): a primary with a replica watched by three sentinels, and a three-node
 * Redis Cluster. Each process writes its log in the topology's directory; destroy() kills them all.
 */

/** redis-sentinel (REDIS_SENTINEL_BIN), else redis-server started with --sentinel, or undefined. */
export function redisSentinelCommand(redisServer: string): string[] | undefined {
  const sentinel = process.env.REDIS_SENTINEL_BIN ?? 'redis-sentinel';
  if (spawnSync(sentinel, ['--version']).status === 0) return [sentinel];
  return spawnSync(redisServer, ['--version']).status === 0 ? [redisServer, '--sentinel'] : undefined;
}

interface Proc {
  name: string;
  port: number;
  child: ChildProcess;
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await probe().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

class Processes {
  readonly dir = mkdtempSync(join(tmpdir(), 'behealthy-redis-ha-'));
  readonly procs: Proc[] = [];

  async start(name: string, command: string[], args: string[], port: number): Promise<Proc> {
    const [bin, ...first] = command;
    // A configuration file comes first: `redis-server FILE --sentinel`, not `redis-server --sentinel FILE`.
    const child = spawn(bin!, [...args, ...first, '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir, '--logfile', join(this.dir, `${name}.log`)], { stdio: 'ignore' });
    const proc = { name, port, child };
    this.procs.push(proc);
    await waitUntil(`${name} on port ${port} (log in ${this.dir})`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} (log in ${this.dir})`);
      return withClient(port, async (c) => (await c.ping()) === 'PONG');
    });
    return proc;
  }

  async kill(proc: Proc): Promise<void> {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    const exited = once(proc.child, 'exit');
    proc.child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    for (const proc of this.procs) await this.kill(proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface SentinelSetup {
  masterName: string;
  /** REDIS_SENTINELS for the service. */
  sentinels: string;
  primaryPort: number;
  replicaPort: number;
  /** SIGKILLs the primary (a crash: no shutdown, no last replication). */
  killPrimary(): Promise<void>;
  /** The primary's address as the sentinels report it now. */
  currentPrimaryPort(): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * A primary, its replica and three sentinels (quorum 2). The sentinels call a primary down after
 * `downAfterMs` without an answer and promote the replica. Persistence is off: after a failover the data is
 * the replica's, which is what a Sentinel deployment relies on.
 */
export async function startSentinelSetup(redisServer: string, sentinelCommand: string[], options: { downAfterMs?: number } = {}): Promise<SentinelSetup> {
  const procs = new Processes();
  const masterName = 'behealthy-test';
  const common = ['--save', '', '--appendonly', 'no'];
  try {
    const primaryPort = await freePort();
    const primary = await procs.start('primary', [redisServer], common, primaryPort);
    const replicaPort = await freePort();
    await procs.start('replica', [redisServer], [...common, '--replicaof', '127.0.0.1', String(primaryPort)], replicaPort);
    await waitUntil('the replica to sync', () => withClient(replicaPort, async (c) => /master_link_status:up/.test(await c.info('replication'))));
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // A sentinel rewrites its configuration file: each has its own.
      const config = join(procs.dir, `sentinel-${i}.conf`);
      writeFileSync(config, [
        `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'));
      await procs.start(`sentinel-${i}`, sentinelCommand, [config], port);
      sentinelPorts.push(port);
    }
    const currentPrimaryPort = async (): Promise<number> => {
      for (const port of sentinelPorts) {
        const address = await withClient(port, (c) => c.call('SENTINEL', 'get-master-addr-by-name', masterName) as Promise<[string, string] | null>).catch(() => null);
        if (address) return Number(address[1]);
      }
      throw new Error('no sentinel answered');
    };
    // Every sentinel knows the replica and the other sentinels before the test goes on.
    await waitUntil('the sentinels to discover each other and the replica', async () => {
      const views = await Promise.all(sentinelPorts.map((port) => withClient(port, (c) => c.call('SENTINEL', 'master', masterName) as Promise<string[]>)));
      return views.every((fields) => {
        const info = Object.fromEntries(fields.flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])));
        return Number(info['num-slaves']) >= 1 && Number(info['num-other-sentinels']) >= 2;
      });
    }, 30_000);
    return {
      masterName,
      sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      primaryPort,
      replicaPort,
      killPrimary: () => procs.kill(primary),
      currentPrimaryPort,
      destroy: () => procs.destroy(),
    };
  } catch (error) {
    await procs.destroy();
    throw error;
  }
}

export interface ClusterSetup {
  /** REDIS_CLUSTER_NODES for the service. */
  nodes: string;
  ports: number[];
  destroy(): Promise<void>;
}

/** Three primaries sharing the 16,384 slots (no replicas), joined with CLUSTER MEET; resolves once the cluster is ok. */
export async function startClusterSetup(redisServer: string): Promise<ClusterSetup> {
  const procs = new Processes();
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // The cluster bus listens on port + 10000: keep both free by taking ports below 55535.
      if (port + 10_000 > 65_535) {
        i--;
        continue;
      }
      await procs.start(`node-${i}`, [redisServer], ['--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', join(procs.dir, `nodes-${i}.conf`), '--cluster-node-timeout', '2000'], port);
      ports.push(port);
    }
    const ranges = [[0, 5460], [5461, 10922], [10923, 16383]] as const;
    for (const [i, port] of ports.entries()) {
      await withClient(port, async (c) => {
        await c.call('CLUSTER', 'ADDSLOTSRANGE', String(ranges[i]![0]), String(ranges[i]![1]));
        for (const other of ports) if (other !== port) await c.call('CLUSTER', 'MEET', '127.0.0.1', String(other));
      });
    }
    await waitUntil('the cluster to be ok on every node', async () => {
      const infos = await Promise.all(ports.map((port) => withClient(port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>)));
      return infos.every((info) => /cluster_state:ok/.test(info) && /cluster_known_nodes:3/.test(info));
    }, 30_000);
    return { nodes: ports.map((port) => `127.0.0.1:${port}`).join(','), ports, destroy: () => procs.destroy() };
  } catch (error) {
    await procs.destroy();
    throw error;
  }
}
