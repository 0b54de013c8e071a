import { Queue } from 'bullmq';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createExtractor } from '../../src/extractor.js';
import { buildApp } from '../../src/http/build-app.js';
import { createServiceMetrics } from '../../src/monitoring/metrics.js';
import { createJobService } from '../../src/queue/job-service.js';
import { EXTRACT_QUEUE, type ExtractBatchData } from '../../src/queue/queues.js';
import { createRedisConnection, redisDependency } from '../../src/queue/redis-connection.js';
import { loadModel } from '../../src/registry/model-store.js';
import { databaseDependency } from '../../src/store/database.js';
import { createPgNightlyRunStore } from '../../src/store/nightly-run-store.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { createPgReviewStore } from '../../src/store/review-store.js';
import { freshSchema, uniqueName } from '../helpers/services.js';
import { errorShapeProblem, offsetProblems, printFigure } from './attack-checks.js';

/**
 * Fuzzed requests against every route of an app built with the real dependencies (the shipped model, the
 * machine's Redis and PostgreSQL in a schema and queue prefix of the run's own), through app.inject: bodies
 * (JSON of any shape, NDJSON, garbage, NUL, lone surrogates, combining marks, deep nesting, huge values),
 * content types, headers, query strings and path parameters. Every answer is checked: no 5xx (Redis and
 * PostgreSQL are up, so no 503 is an outage), every 4xx on the documented error shape with a catalogued
 * code and its documented status, and every extraction's offsets giving back its entities' text.
 * ATTACK_FUZZ_REQUESTS sets the count (10,000 by default), ATTACK_SEED the seed (printed with the figures).
 */
const REQUESTS = Number(process.env.ATTACK_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.ATTACK_SEED ?? Date.now() % 2 ** 31);
const API_KEY = 'fuzz-key-0123456789abcdef';

/** Characters that have broken text handling somewhere: NUL, lone surrogates, combining marks, BOM, bidi, emoji. */
const NASTY = ['\u0000', '\uD800', '\uDFFF', '\u0301', '\u0308\u0301', '\uFEFF', '\u202E', '\u2028', '👩🏽‍⚕️', '🦠', '\r\n', '\t', '\\', '"', '%', '\u00A0', 'ǅ', 'İ', 'ß'];
const WORDS = ['lung', 'cancer', 'treated', 'with', 'cisplatin', 'asthma', 'Dx:', 'Rx:', 'metformin', '500mg', 'BD', 'x5d', 'no', 'fever', 'c/o', '.', ',', '-', '(', ')', '1-0-1', 'Family', 'history:'];

const char = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
);
/** Short note-like text: words of the domain, random characters and nasty ones, mixed. */
const noteText = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ unit: char, maxLength: 8 })), { maxLength: 60 }).map((words) => words.join(' ')) },
  { weight: 2, arbitrary: fc.string({ unit: char, maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '\uD800', 'a\u0000b', 'x'.repeat(300), '.'.repeat(2_000), '9'.repeat(2_000), '\u0301'.repeat(1_000), '🦠'.repeat(500)) },
  // Huge, but of short words (one long word is the pathological-text attack's, with its own bound).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('lung cancer ', 'a ', '. ', '\u0000 ', 'é ', '🦠 '), fc.integer({ min: 1_000, max: 60_000 })).map(([unit, chars]) => unit.repeat(Math.ceil(chars / unit.length))) },
);
const noteId = fc.oneof(fc.string({ unit: char, minLength: 1, maxLength: 20 }), fc.integer(), fc.constantFrom('', 'x'.repeat(300), 'nul\u0000id', '\uD800'), fc.anything());
/** Any JSON value, sometimes a deeply nested one. */
const anyJson = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 800 }).map((depth) => nested(depth)) },
);
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 3 });
const note = fc.oneof(
  { weight: 6, arbitrary: fc.record({ id: noteId, text: noteText }) },
  { weight: 2, arbitrary: fc.record({ id: maybe(noteId), text: maybe(fc.oneof(noteText, anyJson)), extra: maybe(anyJson) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyJson },
);
const entity = fc.record({ type: fc.oneof(fc.constantFrom('disease', 'treatment'), fc.string()), start: fc.oneof(fc.nat(300), fc.integer(), fc.double()), end: fc.oneof(fc.nat(300), fc.integer()), text: maybe(noteText) }, { requiredKeys: ['type', 'start', 'end'] });

function nested(depth: number): unknown {
  let value: unknown = { id: 'deep', text: 'asthma' };
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A note nested `depth` levels deep, as JSON text (deeper than JSON.stringify recurses in a test worker). */
function deepNoteJson(depth: number): string {
  const open: string[] = [];
  for (let i = 0; i < depth; i++) open.push(i % 2 ? '[' : '{"a":');
  return `${open.join('')}{"id":"deep","text":"asthma"}${open.map((o) => (o === '[' ? ']' : '}')).reverse().join('')}`;
}

interface FuzzRequest {
  /** The route, for the figures per route. */
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** Whether to send the API key (the keyed app answers 401 without it). */
  keyed: boolean;
}

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';
/** Percent-encoded as a browser would, a lone surrogate as the bytes of one (which are not UTF-8). */
const LONE_SURROGATE = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;
const encode = (value: string): string => value.split(LONE_SURROGATE).map((part, i) => (i % 2 ? '%ED%A0%80' : encodeURIComponent(part))).join('');
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/x-ndjson', 'application/jsonl', 'application/fhir+json', 'application/octet-stream', 'Application/JSON', 'application/json, text/plain', '*/*', ';;;', '') },
);
const queryValue = fc.oneof(fc.string({ unit: char, maxLength: 30 }).map(encode), fc.constantFrom('%00', '%ZZ', '%E0%A4%A', '%uD800', '%ED%A0%80', '', '0', '1', '-1', '1e400', 'NaN', '2026-01-01T00:00:00Z', '9999-99-99', 'x'.repeat(500)));
const randomQueryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('disease', 'treatment', 'since', 'limit', 'minConfidence', 'jobId', 'format', '__proto__', 'constructor', 'a[b]'), fc.string({ maxLength: 8 }).map(encode)), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
const queryString = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('?minConfidence=0.5', '?minConfidence=1', '?limit=5', '?disease=asthma', '?disease=lung%20cancer&limit=3', '?treatment=cisplatin', '?since=2026-01-01T00:00:00Z') },
  { weight: 1, arbitrary: randomQueryString },
);
const pathSegment = fc.oneof(fc.uuid(), fc.constantFrom('2026-11-30', '9999-99-99', '0000-00-00', '2026-02-30', '%00', '%ZZ', '..', '%2e%2e', 'x'.repeat(300)), fc.string({ unit: char, maxLength: 20 }).map(encode));
const extraHeaders = fc.dictionary(
  fc.constantFrom('x-request-id', 'accept', 'accept-encoding', 'accept-language', 'x-api-key', 'authorization', 'content-encoding', 'x-forwarded-for', 'origin', 'range', 'if-none-match', 'expect'),
  fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), fc.constantFrom('gzip', 'br', 'application/fhir+json', 'text/html', 'Bearer ', `Bearer ${API_KEY}`, 'x'.repeat(5_000), '100-continue', 'bytes=0-1')),
  { maxKeys: 3 },
);

/** A valid-looking body for each POST route, mutated. */
const extractBody = fc.oneof(
  { weight: 6, arbitrary: fc.record({ text: noteText, noteId: maybe(fc.string({ unit: char, minLength: 1, maxLength: 20 })) }).map(json) },
  { weight: 2, arbitrary: fc.record({ text: maybe(fc.oneof(noteText, anyJson)), noteId: maybe(noteId), other: maybe(anyJson) }, { requiredKeys: [] }).map(json) },
  { weight: 1, arbitrary: anyJson.map(json) },
);
const batchBody = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.record({ id: fc.string({ unit: char, minLength: 1, maxLength: 10 }), text: noteText }), { maxLength: 8 }).map((notes) => json({ notes })) },
  { weight: 2, arbitrary: fc.array(note, { maxLength: 6 }).map((notes) => json({ notes })) },
  { weight: 1, arbitrary: anyJson.map(json) },
);
const jobBody = fc.oneof(
  { weight: 4, arbitrary: fc.array(note, { minLength: 1, maxLength: 12 }).map((notes) => ({ payload: json({ notes }), type: 'application/json' })) },
  { weight: 2, arbitrary: fc.array(note, { maxLength: 12 }).map((notes) => ({ payload: notes.map(json).join('\n'), type: 'application/x-ndjson' })) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ unit: char, maxLength: 40 }), note.map(json)), { maxLength: 6 }).map((lines) => ({ payload: lines.join('\n'), type: 'application/x-ndjson' })) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 12_000 }).map((depth) => ({ payload: `{"notes":[${deepNoteJson(depth)}]}`, type: 'application/json' })) },
);
/** A review the route accepts: the reviewer's spans inside the text, the model's the same or not. */
const validReview = fc
  .record({ noteId: fc.string({ unit: char, minLength: 1, maxLength: 20 }), text: noteText.filter((text) => text.length >= 2), reviewer: fc.string({ unit: char, minLength: 1, maxLength: 20 }), seconds: fc.nat(1_000), changed: fc.boolean() })
  .map(({ changed, ...review }) => {
    const span = { type: 'disease', start: 0, end: Math.min(review.text.length, 6) };
    return json({ ...review, entities: [span], before: changed ? [] : [span], acceptedWithoutChange: !changed });
  });
const reviewBody = fc.oneof(
  { weight: 4, arbitrary: validReview },
  {
    weight: 4,
    arbitrary: fc
      .record({ noteId: fc.string({ unit: char, minLength: 1, maxLength: 20 }), text: noteText, reviewer: fc.string({ unit: char, minLength: 1, maxLength: 20 }), seconds: fc.oneof(fc.nat(1_000), fc.double()), acceptedWithoutChange: fc.boolean(), entities: fc.array(entity, { maxLength: 3 }), before: fc.array(entity, { maxLength: 3 }) })
      .map(json),
  },
  { weight: 1, arbitrary: anyJson.map(json) },
);
const garbageBody = fc.oneof(
  fc.integer({ min: 1_000, max: 12_000 }).map((depth) => `{"text":${deepNoteJson(depth)}}`),fc.string({ unit: char, maxLength: 300 }), fc.constantFrom('', '{', '{"text":', '[]', 'null', '{"text":"a"}{"text":"b"}', '\uFEFF{"text":"a"}', '{"text":"\\ud800"}', '{"text":"\\u0000"}', `{"text":"${'a'.repeat(10)}","text":1}`, '{"__proto__":{"text":"x"}}'));

const route: fc.Arbitrary<Omit<FuzzRequest, 'headers' | 'keyed'> & { type?: string }> = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(queryString, fc.oneof({ weight: 5, arbitrary: extractBody }, { weight: 1, arbitrary: garbageBody })).map(([q, payload]) => ({ name: 'POST /v1/extract', method: 'POST', url: `/v1/extract${q}`, payload })) },
  { weight: 8, arbitrary: fc.tuple(queryString, fc.oneof({ weight: 5, arbitrary: batchBody }, { weight: 1, arbitrary: garbageBody })).map(([q, payload]) => ({ name: 'POST /v1/extract/batch', method: 'POST', url: `/v1/extract/batch${q}`, payload })) },
  { weight: 14, arbitrary: jobBody.map(({ payload, type }) => ({ name: 'POST /v1/jobs', method: 'POST', url: '/v1/jobs', payload, type })) },
  { weight: 8, arbitrary: fc.tuple(pathSegment, fc.constantFrom('', '/records')).map(([id, tail]) => ({ name: `GET /v1/jobs/:id${tail}`, method: 'GET', url: `/v1/jobs/${id}${tail}` })) },
  { weight: 10, arbitrary: fc.oneof(reviewBody, garbageBody).map((payload) => ({ name: 'POST /v1/reviews', method: 'POST', url: '/v1/reviews', payload })) },
  { weight: 4, arbitrary: queryString.map((q) => ({ name: 'GET /v1/reviews/queue', method: 'GET', url: `/v1/reviews/queue${q}` })) },
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom('/v1/records', '/v1/insights/treatments'), queryString).map(([path, q]) => ({ name: `GET ${path}`, method: 'GET', url: `${path}${q}` })) },
  { weight: 5, arbitrary: pathSegment.map((day) => ({ name: 'GET /v1/nightly/:day', method: 'GET', url: `/v1/nightly/${day}` })) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('/health', '/ready', '/metrics', '/docs/json', '/v1/models', '/v1/drift', '/v1/kpis', '/review', '/review/app.js'), queryString).map(([path, q]) => ({ name: `GET ${path}`, method: 'GET', url: `${path}${q}` })) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('/admin/queues', '/admin/queues/api/queues', '/admin/queues/api/queues?activeQueue=extract&status=failed', '/admin/queues/api/redis/stats'), fc.constantFrom('GET', 'POST', 'PUT')).map(([url, method]) => ({ name: `${method} /admin/queues*`, method, url })) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), fc.constantFrom('/v1/extract', '/v1/jobs', '/v1/x', '/', '/v2/extract', '/v1/extract/', '//v1/extract', '/v1/%ZZ', '/V1/EXTRACT'), pathSegment, fc.option(garbageBody, { nil: undefined }))
      .map(([method, path, tail, payload]) => ({ name: 'other routes and methods', method, url: `${path}/${tail}`, ...(payload !== undefined && !['GET', 'HEAD'].includes(method) ? { payload } : {}) })),
  },
);

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.tuple(route, contentType, extraHeaders, fc.boolean(), fc.nat(19)).map(([r, type, headers, keyed, contentTypeDrop]) => {
  const all: Record<string, string> = { ...headers };
  if (r.payload !== undefined && contentTypeDrop > 0) all['content-type'] = r.type && contentTypeDrop > 2 ? r.type : type;
  return { name: r.name, method: r.method, url: r.url, headers: all, ...(r.payload !== undefined ? { payload: r.payload } : {}), keyed };
});

interface Harness {
  open: FastifyInstance;
  keyed: FastifyInstance;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const db = await freshSchema();
  const prefix = uniqueName('fuzz');
  // Small limits, so that fuzzed bodies cross them (413) without megabytes per request.
  const config: Config = { ...loadConfig(), logLevel: 'silent', databaseSchema: db.schema, queuePrefix: prefix, bodyLimitBytes: 512 * 1024, jobBodyLimitBytes: 1024 * 1024, maxJobNotes: 200, maxBatchNotes: 20, rateLimitPerMinute: 0 };
  const { model } = await loadModel(config.modelDir);
  const redis = createRedisConnection(config.redisUrl);
  const queue = new Queue<ExtractBatchData>(EXTRACT_QUEUE, { connection: redis, prefix });
  queue.on('error', () => {});
  const store = createPgRecordStore(db.pool);
  const build = (apiKeys: string[]) => {
    const metrics = createServiceMetrics({ processMetrics: false });
    return buildApp({
      config: { ...config, apiKeys },
      extractor: createExtractor(model, metrics, config.extractSliceTokens),
      metrics,
      jobs: createJobService({ queue, redis, store, batchSize: config.jobBatchSize, redisUrl: config.redisUrl, databaseUrl: config.databaseUrl }),
      store,
      reviews: createPgReviewStore(db.pool),
      nightlyRuns: createPgNightlyRunStore(db.pool),
      models: { modelsDir: config.modelDir, processes: () => [{ pid: process.pid, version: model.version, loadedAt: new Date().toISOString(), refused: null, hotReload: false }] },
      queues: [queue],
      dependencies: [redisDependency(redis, config.redisUrl), databaseDependency(db.pool, config.databaseUrl)],
    });
  };
  const open = await build([]);
  const keyed = await build([API_KEY]);
  return {
    open,
    keyed,
    async close() {
      await open.close();
      await keyed.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      redis.disconnect();
      await db.drop();
    },
  };
}

describe('attack: fuzzed requests against every route', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  }, 60_000);
  afterAll(() => h?.close());

  it(`answers ${REQUESTS} fuzzed requests with no 5xx, only documented error bodies and valid offsets`, async () => {
    const figures = { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0, offShape: 0, badOffsets: 0, extractions: 0, entities: 0, clientRejected: 0 };
    const byRoute = new Map<string, { requests: number; status2xx: number; status4xx: number; status5xx: number; offShape: number }>();
    const examples: string[] = [];
    const note = (problem: string): void => {
      if (examples.length < 25 && !examples.includes(problem)) examples.push(problem);
    };
    const started = performance.now();
    const chunk = 250;
    for (let done = 0; done < REQUESTS; done += chunk) {
      const requests = fc.sample(fuzzRequest, { numRuns: Math.min(chunk, REQUESTS - done), seed: SEED + done });
      for (const request of requests) {
        const app = request.keyed ? h.keyed : h.open;
        const headers = request.keyed ? { ...request.headers, 'x-api-key': API_KEY } : request.headers;
        let response;
        try {
          response = await app.inject({ method: request.method as 'GET', url: request.url, headers, ...(request.payload !== undefined ? { payload: request.payload } : {}) });
        } catch {
          // A request the HTTP client itself refuses to build (an invalid header value): nothing reached the server.
          figures.clientRejected++;
          continue;
        }
        figures.requests++;
        const routeKey = request.name;
        const stats = byRoute.get(routeKey) ?? { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0, offShape: 0 };
        byRoute.set(routeKey, stats);
        stats.requests++;
        const status = response.statusCode;
        if (status >= 500) {
          figures.status5xx++;
          stats.status5xx++;
          note(`${request.method} ${request.url.slice(0, 80)} → ${status} ${response.body.slice(0, 160)}`);
        } else if (status >= 400) {
          figures.status4xx++;
          stats.status4xx++;
        } else if (status < 300) {
          figures.status2xx++;
          stats.status2xx++;
        }
        if (status >= 400 && request.method !== 'HEAD') {
          const problem = errorShapeProblem(status, response.headers['content-type'] as string | undefined, response.body);
          if (problem) {
            figures.offShape++;
            stats.offShape++;
            note(`${request.method} ${request.url.slice(0, 80)} → ${status} off shape: ${problem}`);
          }
        }
        if (status === 200 && request.method === 'POST' && request.url.startsWith('/v1/extract')) {
          // (The server's JSON parser drops a byte-order mark, as JSON.parse does not.)
          const sent = JSON.parse((request.payload as string).replace(/^\uFEFF/, '')) as { text?: string; notes?: { text: string }[] };
          const body = response.json() as { entities?: unknown[]; records?: { entities?: unknown[] }[] };
          const pairs = request.url.startsWith('/v1/extract/batch')
            ? (body.records ?? []).map((record, i) => [sent.notes?.[i]?.text ?? '', record] as const)
            : [[sent.text ?? '', body] as const];
          for (const [text, record] of pairs) {
            figures.extractions++;
            figures.entities += (record as { entities?: unknown[] }).entities?.length ?? 0;
            const wrong = offsetProblems(text, record as Parameters<typeof offsetProblems>[1]);
            if (wrong > 0) note(`${routeKey}: ${wrong} entities whose offsets do not give back their text`);
            figures.badOffsets += wrong;
          }
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    printFigure({ attack: 'fuzz', seed: SEED, ...figures, seconds: Number(seconds.toFixed(1)) });
    for (const [routeKey, stats] of [...byRoute].sort()) printFigure({ attack: 'fuzz-route', route: routeKey, ...stats });
    expect(figures.requests).toBeGreaterThanOrEqual(REQUESTS * 0.95);
    expect({ status5xx: figures.status5xx, offShape: figures.offShape, badOffsets: figures.badOffsets, examples }).toEqual({ status5xx: 0, offShape: 0, badOffsets: 0, examples: [] });
  }, 600_000);
});
