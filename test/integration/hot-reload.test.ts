import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { copyShippedModels, OLDER, PRODUCTION } from '../helpers/models-dir.js';

/**
 * The bar: the API as `npm start` runs it (node:cluster, 2 processes) on a free port and a temporary
 * models directory holding both shipped versions, under steady load over HTTP; `behealthy models promote`
 * (the CLI, in its own process) switches production in the middle. Every response must be a 200, the early
 * ones from the old version and every one sent after both processes report the new version from the new one.
 */
const LOAD_CONNECTIONS = 6;
/** Between a response and the next request of a connection: steady load that leaves the promoting CLI some CPU on a 2-core machine. */
const PAUSE_MS = 5;
const LOAD_BEFORE_PROMOTION_MS = 1_500;
const LOAD_AFTER_SWITCH_MS = 1_500;
const NOTES = [
  'Patients with advanced lung cancer were treated with cisplatin and radiotherapy.',
  'Asthma was managed with inhaled salbutamol; no change to the metformin dose for type 2 diabetes.',
  'Dx: typhoid. Rx: azithromycin 500mg OD for 7 days.',
];

interface Outcome {
  started: number;
  ended: number;
  status: number;
  versions: string[];
  error?: string;
}

async function spawnCluster(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/main-api.ts')], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const urls = [...output.matchAll(/"url":"(http:\/\/[^"]+)"/g)].map((m) => m[1] as string);
      if (urls.length >= Number(env.WEB_CONCURRENCY)) resolve(urls[0] as string);
    });
  });
  return { child, url, output: () => output };
}

/** One connection's loop: a request, a pause, until stop(); every 4th a batch of 3 notes (one version per batch). */
async function loadLoop(url: string, index: number, stopped: () => boolean, outcomes: Outcome[]): Promise<void> {
  for (let i = 0; !stopped(); i++) {
    const batch = (i + index) % 4 === 0;
    const started = performance.now();
    try {
      const response = await fetch(batch ? `${url}/v1/extract/batch` : `${url}/v1/extract`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch ? { notes: NOTES.map((text, n) => ({ id: `b${index}-${i}-${n}`, text })) } : { text: NOTES[i % NOTES.length], noteId: `n${index}-${i}` }),
      });
      const body = (await response.json()) as { modelVersion?: string; records?: { modelVersion: string }[] };
      const versions = batch ? (body.records ?? []).map((r) => r.modelVersion) : body.modelVersion ? [body.modelVersion] : [];
      outcomes.push({ started, ended: performance.now(), status: response.status, versions });
    } catch (error) {
      outcomes.push({ started, ended: performance.now(), status: 0, versions: [], error: String(error) });
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

/**
 * `behealthy models promote <version>` in a process of its own: the CLI's main() with those arguments, started
 * ahead (loading the CLI's modules takes seconds) and run when go() is called.
 */
function promoteCli(modelsDir: string, version: string): { ready: Promise<void>; go(): Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const script = [
    `const { main } = await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'src/cli/main.ts')).href)});`,
    `process.stderr.write('ready\\n');`,
    `process.stdin.once('data', async () => { process.exitCode = await main(['models', 'promote', ${JSON.stringify(version)}, '--by', 'hot-reload-test']); process.stdin.destroy(); });`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, MODEL_DIR: modelsDir }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code}: ${stderr}`)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.startsWith('ready\n')) resolve();
    });
  });
  return {
    ready,
    async go() {
      const exited = once(child, 'exit');
      child.stdin.write('go\n');
      const [code] = (await exited) as [number | null];
      return { code, stdout, stderr: stderr.slice('ready\n'.length) };
    },
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe('hot reload under load (2 API processes, as npm start runs them)', () => {
  let models: Awaited<ReturnType<typeof copyShippedModels>>;
  let server: Awaited<ReturnType<typeof spawnCluster>>;
  let cli: ReturnType<typeof promoteCli>;
  beforeAll(async () => {
    models = await copyShippedModels();
    cli = promoteCli(models.dir, OLDER);
    server = await spawnCluster({ WEB_CONCURRENCY: '2', MODEL_DIR: models.dir, MODEL_RELOAD_POLL_MS: '1000', RATE_LIMIT_PER_MINUTE: '0' });
    await cli.ready;
  }, 60_000);
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await once(server.child, 'exit');
    }
    await models?.remove();
  });

  it('promotes the other version during steady load: 0 errors, responses from both versions, the later ones from the new one', async () => {
    const { url } = server;
    const outcomes: Outcome[] = [];
    let stop = false;
    const loops = Array.from({ length: LOAD_CONNECTIONS }, (_, i) => loadLoop(url, i, () => stop, outcomes));
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_PROMOTION_MS));

    // The same code path as an operator's `behealthy models promote`, in its own process.
    const promotedAt = performance.now();
    const promoted = await cli.go();
    const pointerWritten = performance.now();
    expect(promoted, promoted.stderr).toMatchObject({ code: 0 });
    expect(promoted.stdout).toContain(`promoted ${OLDER} (production was ${PRODUCTION})`);

    // Until both processes report the new version.
    let switched = 0;
    for (;;) {
      const body = (await (await fetch(`${url}/v1/models`)).json()) as { production: { version: string }; processes: { pid: number; version: string }[] };
      if (body.production.version === OLDER && body.processes.length === 2 && body.processes.every((p) => p.version === OLDER)) {
        switched = performance.now();
        break;
      }
      if (performance.now() - pointerWritten > 10_000) throw new Error(`the processes did not switch: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_SWITCH_MS));
    stop = true;
    await Promise.all(loops);

    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.slice(0, 5), `${failed.length} of ${outcomes.length} requests failed`).toEqual([]);
    const versionsSeen = new Set(outcomes.flatMap((o) => o.versions));
    expect([...versionsSeen].sort()).toEqual([OLDER, PRODUCTION]);
    // Before the promotion began: the old version only. After both processes switched: the new one only.
    expect(new Set(outcomes.filter((o) => o.ended < promotedAt).flatMap((o) => o.versions))).toEqual(new Set([PRODUCTION]));
    const after = outcomes.filter((o) => o.started > switched);
    expect(after.length).toBeGreaterThan(20);
    expect(new Set(after.flatMap((o) => o.versions))).toEqual(new Set([OLDER]));
    // A batch is extracted by one version, whatever happens meanwhile.
    for (const o of outcomes) expect(new Set(o.versions).size, 'a batch mixed versions').toBe(1);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^behealthy_model_reloads_total 2$/m);
    expect(metrics).toContain(`behealthy_model_info{version="${OLDER}"} 1`);
    expect(metrics).not.toContain(`behealthy_model_info{version="${PRODUCTION}"}`);
    const body = (await (await fetch(`${url}/v1/models`)).json()) as { history: { action: string; from: string; to: string; by: string }[] };
    expect(body.history).toEqual([expect.objectContaining({ action: 'promote', from: PRODUCTION, to: OLDER, by: 'hot-reload-test' })]);

    const latency = (list: Outcome[]) => list.map((o) => o.ended - o.started);
    const during = outcomes.filter((o) => o.ended >= promotedAt && o.started <= switched);
    // Figures for the README (one JSON line): throughput, and what the swap did to latency.
    console.log(
      JSON.stringify({
        bench: 'hot-reload',
        requests: outcomes.length,
        failed: failed.length,
        seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
        byVersion: Object.fromEntries([...versionsSeen].map((v) => [v, outcomes.filter((o) => o.versions[0] === v).length])),
        cliMs: Math.round(pointerWritten - promotedAt),
        pointerToAllSwitchedMs: Math.round(switched - pointerWritten),
        p99MsBefore: Math.round(percentile(latency(outcomes.filter((o) => o.ended < promotedAt)), 99)),
        p99MsDuring: Math.round(percentile(latency(during), 99)),
        maxMsDuring: Math.round(Math.max(...latency(during))),
        p99MsAfter: Math.round(percentile(latency(after), 99)),
      }),
    );

    server.child.kill('SIGTERM');
    const [code] = await once(server.child, 'exit');
    expect(code, server.output()).toBe(0);
    expect(server.output()).not.toMatch(/Patients with advanced lung cancer|salbutamol|typhoid/);
    expect(server.output()).toMatch(/model reloaded: new requests use the new version/);
  });
});
