import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { startApi, type RunningApi } from '../../src/http/start-api.js';
import { createRedisConnection, redisDependency, redisReady } from '../../src/queue/redis-connection.js';
import { createDatabasePool, databaseDependency } from '../../src/store/database.js';

/** The real server on a free port with the shipped model, called over HTTP. */
describe('the API server', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ ...loadConfig({ LOG_LEVEL: 'warn' }), port: 0 });
  });
  afterAll(() => api.close());

  it('serves extraction with the production model over HTTP', async () => {
    const text = 'Patients with advanced lung cancer were treated with cisplatin.';
    const response = await fetch(`${api.url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, noteId: 'http-1' }) });
    expect(response.status).toBe(200);
    const record = (await response.json()) as { noteId: string; diseases: { text: string }[]; treatments: { text: string }[] };
    expect(record.noteId).toBe('http-1');
    expect(record.diseases.map((d) => d.text).join(' ')).toMatch(/cancer/);
    expect(record.treatments.map((t) => t.text)).toContain('cisplatin');
  });

  it('reports Redis and PostgreSQL in /ready', async () => {
    const body = (await (await fetch(`${api.url}/ready`)).json()) as { dependencies: Record<string, { status: string }> };
    expect(Object.keys(body.dependencies).sort()).toEqual(['postgres', 'redis']);
  });
});

describe('dependency checks against the real services', () => {
  const config = loadConfig();

  it('Redis: up at REDIS_URL, down with a hint on a closed port', async () => {
    const up = createRedisConnection(config.redisUrl);
    const down = createRedisConnection('redis://127.0.0.1:1');
    try {
      await expect(redisDependency(up, config.redisUrl).check()).resolves.toBeUndefined();
      const check = redisDependency(down, 'redis://127.0.0.1:1');
      await expect(check.check()).rejects.toThrow(/not connected/);
      expect(check.hint).toMatch(/REDIS_URL/);
    } finally {
      up.disconnect();
      down.disconnect();
    }
  });

  it('Redis: a connection still being opened (a Queue starts one at once) is waited for, not reported down', async () => {
    const connecting = createRedisConnection(config.redisUrl);
    const down = createRedisConnection('redis://127.0.0.1:1');
    try {
      void connecting.connect().catch(() => {});
      void down.connect().catch(() => {});
      expect([connecting.status, down.status]).toEqual(['connecting', 'connecting']);
      expect(await redisReady(connecting)).toBe(true);
      expect(await redisReady(down)).toBe(false);
    } finally {
      connecting.disconnect();
      down.disconnect();
    }
  });

  it('PostgreSQL: up at DATABASE_URL, down on a closed port', async () => {
    const up = createDatabasePool(config.databaseUrl);
    const down = createDatabasePool('postgres://root@127.0.0.1:1/test');
    try {
      await expect(databaseDependency(up, config.databaseUrl).check()).resolves.toBeUndefined();
      await expect(databaseDependency(down, 'postgres://127.0.0.1:1/test').check()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await up.end();
      await down.end();
    }
  });
});

/** `node src/main-api.ts` as a child process; resolves once it serves, with its URL and everything it logged. */
async function spawnApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main-api.ts')], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const urls = [...output.matchAll(/"url":"(http:\/\/[^"]+)"/g)].map((m) => m[1] as string);
      if (urls.length >= Number(env.WEB_CONCURRENCY ?? 1)) resolve(urls[0] as string);
    });
  });
  return { child, url, output: () => output };
}

describe('graceful shutdown', () => {
  for (const workers of ['1', '2']) {
    it(`on SIGTERM finishes the request in flight, refuses new connections and exits 0 (${workers} worker(s))`, async () => {
      const { child, url, output } = await spawnApi({ WEB_CONCURRENCY: workers, MAX_NOTE_CHARS: '1000000', BODY_LIMIT_BYTES: '4000000' });
      // A long note keeps the request in flight for a while (hundreds of ms).
      const text = 'Patients with lung cancer were treated with cisplatin. '.repeat(8_000);
      const inFlight = fetch(`${url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      await new Promise((resolve) => setTimeout(resolve, 150));
      // Listen for the exit before anything else is awaited: the child may exit while the (2 MB) response
      // is still being read, and a listener added after the event would wait forever.
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { entities: unknown[] }).entities.length).toBeGreaterThan(1_000);
      const [code] = await exited;
      expect(code, output()).toBe(0);
      expect(output()).toMatch(/shutting down/);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    });
  }
});

describe('WEB_CONCURRENCY', () => {
  it('serves from several processes on one port, and /metrics counts for all of them', async () => {
    const { child, url } = await spawnApi({ WEB_CONCURRENCY: '2' });
    try {
      const requests = 12;
      await Promise.all(
        Array.from({ length: requests }, () =>
          fetch(`${url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Asthma treated with salbutamol.' }) }).then((r) => r.text()),
        ),
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`behealthy_notes_total\\{outcome="ok"\\} ${requests}\\b`));
      expect(metrics).toMatch(/behealthy_model_info\{version="[^"]+"\} 1\b/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
