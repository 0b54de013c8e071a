import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { startApi, type RunningApi } from '../../src/http/start-api.js';
import { createRedisConnection, redisDependency } from '../../src/queue/redis-connection.js';
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

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the request in flight, refuses new connections and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main-api.ts')], {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', MAX_NOTE_CHARS: '1000000', BODY_LIMIT_BYTES: '4000000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match) resolve(match[1] as string);
      });
    });
    const url = await listening;
    // A long note keeps the request in flight for a while (hundreds of ms).
    const text = 'Patients with lung cancer were treated with cisplatin. '.repeat(8_000);
    const inFlight = fetch(`${url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { entities: unknown[] }).entities.length).toBeGreaterThan(1_000);
    const [code] = await once(child, 'exit');
    expect(code, output).toBe(0);
    expect(output).toMatch(/shutting down/);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
