/**
 * Part of npm run bench (scripts/bench.ts); alone: node --import tsx scripts/bench-api.ts [--only api-extract]
 *
 * api-extract: a server (node dist/main-api.js, default configuration: info logs, rate limits, helmet) in a
 * process of its own; autocannon here posts realistic single notes (test-split sentences joined into
 * ~60-token notes) over 32 connections, then, in the same run, GET /health as the ceiling. Each request's bytes
 * are built once (a setupRequest per request made autocannon rebuild them every time: ~25 µs of the client's
 * CPU per request, taken from the server on these 2 cores). Beside req/s: the CPU time per request of the
 * server's processes (from /proc) and of this client, for both, since they share the cores.
 * long-note: short notes over 8 connections while another client posts 30,000-character notes back to
 * back, on one server process; the short requests' p99 with EXTRACT_SLICE_TOKENS at its default and with
 * slicing off (0).
 * api-mixed: one API serving process (WEB_CONCURRENCY=1: a cluster worker, or the process itself with
 * API_HEAP_LIMIT_MB=0) under 60 s of mixed load over 32 connections, 95% realistic notes and 5% 30,000-character
 * MTSamples notes, while /health is probed every 50 ms: that process's RSS (from /proc, every 100 ms) idle, at
 * its peak and 2 s after, and /health's p99. --node-args passes node flags to the server to compare.
 * api-p99: POST /v1/extract latency of the production model as served (concept codes on) beside the same model
 * with CONCEPT_CODES=off and beside the model it replaced (its rollback version, the one before it in
 * production-history.jsonl), one server at a time, in alternating rounds so that a busy machine slows all alike;
 * the median of the rounds' p50, p99 and req/s for each, and the p99 ratios.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rssMb, servingPids, startApiProcess } from './api-process.js';
import { realisticNotes } from './realistic-notes.js';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.js';
import { readMtSamples } from '../src/corpus/mtsamples.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string' },
    'mixed-duration': { type: 'string', default: '60' },
    'node-args': { type: 'string', default: '' },
  },
});
const only = values.only?.split(',');
const wanted = (name: string): boolean => !only || only.includes(name);
const config = loadConfig();

async function startServer(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const { url, child } = await startApiProcess(env, { nodeArgs });
  return { url, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const notes = await realisticNotes(config.corpusDir);

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function postNotes(url: string, texts: readonly string[], connections: number, duration: number): Promise<autocannon.Result> {
  const requests = texts.map((text, i) => ({ method: 'POST' as const, path: '/v1/extract', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, noteId: `n-${i}` }) }));
  return run({ url, connections, duration, requests });
}

/** CPU seconds used so far by a process and its children (Linux /proc; the API's cluster workers are children). */
function processTreeCpuSeconds(pid: number): number {
  const ticksPerSecond = 100;
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(fields[1]) === pid) seconds += (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  }
  return seconds;
}

/** A load run, with the CPU microseconds per request the server and this client spent on it. */
async function measured(serverPid: number, load: () => Promise<autocannon.Result>): Promise<{ result: autocannon.Result; serverUs: number; clientUs: number }> {
  const server = processTreeCpuSeconds(serverPid);
  const client = process.cpuUsage();
  const result = await load();
  const clientCpu = process.cpuUsage(client);
  const perRequest = (microseconds: number): number => Math.round(microseconds / Math.max(1, result.requests.total));
  return { result, serverUs: perRequest((processTreeCpuSeconds(serverPid) - server) * 1e6), clientUs: perRequest(clientCpu.user + clientCpu.system) };
}

const errorsOf = (result: autocannon.Result): number => result.errors + result.timeouts + result.non2xx;

if (wanted('api-extract')) {
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const { url, child } = await startServer();
  try {
    await postNotes(url, notes, connections, 3); // warm-up
    const { result: extract, serverUs, clientUs } = await measured(child.pid!, () => postNotes(url, notes, connections, duration));
    const healthRun = await measured(child.pid!, () => run({ url: `${url}/health`, connections, duration: Math.max(10, Math.round(duration / 2)) }));
    const health = healthRun.result;
    console.log(JSON.stringify({
      bench: 'api-extract',
      req_per_s: Math.round(extract.requests.average),
      p50_ms: extract.latency.p50,
      p99_ms: extract.latency.p99,
      errors: errorsOf(extract),
      health_req_per_s: Math.round(health.requests.average),
      health_p99_ms: health.latency.p99,
      health_errors: errorsOf(health),
      extract_share_of_health: Number((extract.requests.average / health.requests.average).toFixed(3)),
      server_cpu_us_per_request: serverUs,
      client_cpu_us_per_request: clientUs,
      health_server_cpu_us_per_request: healthRun.serverUs,
      health_client_cpu_us_per_request: healthRun.clientUs,
      requests: extract.requests.total,
      connections,
      duration_s: duration,
      note_tokens_mean: Math.round(notes.reduce((sum, note) => sum + note.split(' ').length, 0) / notes.length),
      notes: notes.length,
      node: process.version,
    }));
  } finally {
    await stopServer(child);
  }
}

if (wanted('api-p99')) {
  const rounds = 3;
  const duration = 10;
  const connections = Number(values.connections);
  const modelDir = resolve(config.modelDir);
  const history = readFileSync(join(modelDir, 'production-history.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { action: string; from?: string; to?: string });
  const current = (JSON.parse(readFileSync(join(modelDir, 'production.json'), 'utf8')) as { version: string }).version;
  const previous = history.filter((h) => h.action === 'promote' && h.to === current).at(-1)?.from;
  // A models directory whose production is the previous version (the same files, linked).
  const previousDir = mkdtempSync(join(tmpdir(), 'bench-previous-'));
  if (previous) {
    symlinkSync(join(modelDir, previous), join(previousDir, previous));
    writeFileSync(join(previousDir, 'production.json'), JSON.stringify({ version: previous, promotedAt: new Date().toISOString() }));
  }
  const variants: { name: string; env: Record<string, string> }[] = [
    { name: 'served', env: {} },
    { name: 'codes_off', env: { CONCEPT_CODES: 'off' } },
    ...(previous ? [{ name: 'previous_model', env: { MODEL_DIR: previousDir, CONCEPT_CODES: 'off' } }] : []),
  ];
  const results = new Map<string, { p50: number; p99: number; rps: number }[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const { url, child } = await startServer(variant.env);
      try {
        await postNotes(url, notes, connections, 3);
        const result = await postNotes(url, notes, connections, duration);
        results.get(variant.name)?.push({ p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average });
      } finally {
        await stopServer(child);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const figures: Record<string, number | string> = { bench: 'api-p99', model: current, previous_model: previous ?? 'none', rounds, duration_s: duration, connections };
  for (const [name, runs] of results) {
    figures[`${name}_p50_ms`] = median(runs.map((r) => r.p50));
    figures[`${name}_p99_ms`] = median(runs.map((r) => r.p99));
    figures[`${name}_req_per_s`] = Math.round(median(runs.map((r) => r.rps)));
  }
  figures.p99_ratio_served_vs_codes_off = Number(((figures.served_p99_ms as number) / (figures.codes_off_p99_ms as number)).toFixed(2));
  if (previous) figures.p99_ratio_served_vs_previous_model = Number(((figures.served_p99_ms as number) / (figures.previous_model_p99_ms as number)).toFixed(2));
  console.log(JSON.stringify({ ...figures, node: process.version }));
}

/** MTSamples notes joined and cut to 30,000 characters. */
async function longMtSamplesNote(): Promise<string> {
  let text = '';
  for await (const note of readMtSamples(config.notesFile)) {
    text += `${note.text}\n`;
    if (text.length >= 30_000) break;
  }
  return text.slice(0, 30_000);
}

if (wanted('long-note')) {
  const longNote = await longMtSamplesNote();
  const figures: Record<string, number> = {};
  for (const slice of ['2000', '0']) {
    // One process, so the long notes and the short requests share one event loop (the case slicing is for).
    const { url, child } = await startServer({ EXTRACT_SLICE_TOKENS: slice, WEB_CONCURRENCY: '1' });
    try {
      const alone = performance.now();
      await fetch(`${url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: longNote }) });
      const aloneMs = performance.now() - alone;
      let stop = false;
      let longRequests = 0;
      const longLoop = (async () => {
        while (!stop) {
          await fetch(`${url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: longNote }) });
          longRequests++;
        }
      })();
      const short = await postNotes(url, notes, 8, 10);
      stop = true;
      await longLoop;
      const label = slice === '0' ? 'unsliced' : 'sliced';
      figures[`${label}_short_p50_ms`] = short.latency.p50;
      figures[`${label}_short_p99_ms`] = short.latency.p99;
      figures[`${label}_short_req_per_s`] = Math.round(short.requests.average);
      figures[`${label}_long_notes_done`] = longRequests;
      figures[`${label}_long_note_alone_ms`] = Math.round(aloneMs);
      figures[`${label}_errors`] = errorsOf(short);
    } finally {
      await stopServer(child);
    }
  }
  console.log(JSON.stringify({ bench: 'long-note', note_chars: longNote.length, slice_tokens: 2000, ...figures }));
}

if (wanted('api-mixed')) {
  const duration = Number(values['mixed-duration']);
  const connections = Number(values.connections);
  const nodeArgs = values['node-args'].split(' ').filter(Boolean);
  const longNote = await longMtSamplesNote();
  // One request in twenty is a long note: 5%, spread evenly through each connection's sequence.
  const requests = Array.from({ length: 100 }, (_, i) => {
    const text = i % 20 === 19 ? longNote : (notes[i % notes.length] as string);
    return { method: 'POST' as const, path: '/v1/extract', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, noteId: `m-${i}` }) };
  });
  const { url, child } = await startServer({ WEB_CONCURRENCY: '1' }, nodeArgs);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const primary = child.pid as number;
    const [pid = primary] = servingPids(primary);
    const idle = rssMb(pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMb(pid)), 100);
    let probing = true;
    const health: number[] = [];
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        await fetch(`${url}/health`).then((r) => r.text(), () => '');
        health.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const result = await run({ url, connections, duration, requests });
    probing = false;
    await probe;
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = rssMb(pid);
    health.sort((a, b) => a - b);
    samples.sort((a, b) => a - b);
    console.log(JSON.stringify({
      bench: 'api-mixed',
      rss_idle_mb: Math.round(idle),
      rss_p50_mb: Math.round(samples[Math.floor(samples.length / 2)] ?? Number.NaN),
      rss_peak_mb: Math.round(samples[samples.length - 1] ?? Number.NaN),
      rss_after_2s_idle_mb: Math.round(after),
      req_per_s: Math.round(result.requests.average),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      errors: errorsOf(result),
      health_p99_ms: Math.round(health[Math.min(health.length - 1, Math.floor(health.length * 0.99))] ?? Number.NaN),
      health_probes: health.length,
      requests: result.requests.total,
      long_share: 0.05,
      long_chars: longNote.length,
      connections,
      duration_s: duration,
      api_processes: 1,
      cluster_primary_rss_mb: pid === primary ? null : Math.round(rssMb(primary)),
      node_args: nodeArgs.join(' '),
      api_heap_limit_mb: config.apiHeapLimitMb,
      extract_max_chars_in_flight: config.extractMaxCharsInFlight,
    }));
  } finally {
    await stopServer(child);
  }
}
