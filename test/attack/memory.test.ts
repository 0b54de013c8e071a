import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';
import { rssMb, servingPids, startApiProcess, type ApiProcess } from '../../scripts/api-process.js';
import { realisticNotes } from '../../scripts/realistic-notes.js';
import { assertBuiltFromSources, printFigure } from './attack-checks.js';

/**
 * Memory of an API serving process under mixed load, as deployed (node dist/main-api.js, WEB_CONCURRENCY=1,
 * the default bounds): 95% realistic notes and 5% 30,000-character MTSamples notes over 32 connections.
 * Idle, with the shipped model and concept codes, it holds under 215 MB (175–190 MB measured: node and its
 * modules, the model, its resources and the concept index; npm run bench -- --only api-mixed reports that
 * footprint). Long notes must not blow it up: its RSS grows by at most 75 MB over that, and stays under 260 MB
 * in all (220–235 MB measured). Node 24 keeps more of the same process (its V8's spaces: 274–287 MB idle and
 * 335–337 MB at the peak, measured before the workers' semi-spaces went from 16 MB to 8 MB and the API
 * collected its load's garbage), so its bounds stay those measured then.
 */
const NODE_24_OR_LATER = Number(process.versions.node.split('.')[0]) >= 24;
const IDLE_BOUND_MB = NODE_24_OR_LATER ? 325 : 215;
const GROWTH_BOUND_MB = NODE_24_OR_LATER ? 100 : 75;
const RSS_BOUND_MB = NODE_24_OR_LATER ? 375 : 260;
const SECONDS = 15;

describe('attack: memory of an API process under long notes', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    assertBuiltFromSources();
    api = await startApiProcess({ WEB_CONCURRENCY: '1', LOG_LEVEL: 'warn' });
  }, 60_000);
  afterAll(() => api?.stop('SIGKILL'));

  it(`keeps the serving process under ${IDLE_BOUND_MB} MB idle, within ${GROWTH_BOUND_MB} MB of that and under ${RSS_BOUND_MB} MB with 5% of 30,000-character notes`, async () => {
    const config = loadConfig();
    const notes = await realisticNotes(config.corpusDir);
    let longNote = '';
    for await (const note of readMtSamples(config.notesFile)) {
      longNote += `${note.text}\n`;
      if (longNote.length >= 30_000) break;
    }
    longNote = longNote.slice(0, 30_000);
    const requests = Array.from({ length: 100 }, (_, i) => ({
      method: 'POST' as const, path: '/v1/extract', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: i % 20 === 19 ? longNote : notes[i % notes.length], noteId: `m-${i}` }),
    }));
    const [pid] = servingPids(api.child.pid as number) as [number];
    const idle = rssMb(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
    const result = await new Promise<autocannon.Result>((resolve, reject) => autocannon({ url: api.url, connections: 32, duration: SECONDS, requests }, (error, r) => (error ? reject(error) : resolve(r))));
    clearInterval(sampler);
    printFigure({
      attack: 'memory', seconds: SECONDS, connections: 32, longShare: 0.05, longChars: longNote.length, requests: result.requests.total,
      errors: result.errors + result.timeouts + result.non2xx, rssIdleMb: Math.round(idle), rssPeakMb: Math.round(peak), idleBoundMb: IDLE_BOUND_MB, growthBoundMb: GROWTH_BOUND_MB, boundMb: RSS_BOUND_MB,
    });
    expect(result.errors + result.timeouts + result.non2xx).toBe(0);
    expect(idle).toBeLessThan(IDLE_BOUND_MB);
    expect(peak - idle).toBeLessThan(GROWTH_BOUND_MB);
    expect(peak).toBeLessThan(RSS_BOUND_MB);
  }, 120_000);
});
