import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { catalogueShaped } from '../../src/http/queue-dashboard.js';
import { EXTRACT_QUEUE } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import type { RecordStore } from '../../src/store/record-store.js';
import { testApp, type TestApp } from '../helpers/test-app.js';

/**
 * Every error body has the documented shape { "error": { "code", "message" } } with a catalogue code and
 * that code's status, whoever answers: a route, a hook, Bull Board, Fastify itself, Node's HTTP parser.
 */
const KEY = 'key-a-0123456789abcdef';
const SECRET = 'ZEBRA-7731-Jane-Roe';

function expectCatalogueBody(response: { statusCode: number; json(): unknown }, code: keyof typeof ERROR_CATALOGUE): { code: string; message: string } {
  const body = response.json() as { error?: { code?: unknown; message?: unknown } };
  expect(body.error, JSON.stringify(body)).toMatchObject({ code, message: expect.any(String) });
  expect(Object.keys(body)).toEqual(['error']);
  expect(response.statusCode).toBe(code === 'NER_ERR_HTTP_BAD_REQUEST' ? response.statusCode : ERROR_CATALOGUE[code].statusCode);
  return body.error as { code: string; message: string };
}

let current: TestApp | undefined;
const queues: Queue[] = [];
const connections: { disconnect(): void }[] = [];
afterEach(async () => {
  await current?.app.close();
  current = undefined;
  for (const queue of queues.splice(0)) await queue.close();
  for (const connection of connections.splice(0)) connection.disconnect();
});

/** A queue on a Redis that is not there: commands fail at once (no offline queue). */
function unreachableQueue(): Queue {
  const connection = createRedisConnection('redis://127.0.0.1:1');
  connections.push(connection);
  const queue = new Queue(EXTRACT_QUEUE, { connection, prefix: 'shapes' });
  queue.on('error', () => {});
  queues.push(queue);
  return queue;
}

describe('the queue dashboard behind the API key (/admin/queues)', () => {
  it('answers 401 with the catalogue code, on the page and on its API', async () => {
    current = await testApp({ config: { apiKeys: [KEY] }, queues: [unreachableQueue()] });
    for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/js/main.js']) {
      expectCatalogueBody(await current.app.inject({ url }), 'NER_ERR_HTTP_UNAUTHORIZED');
    }
    expectCatalogueBody(await current.app.inject({ url: '/admin/queues', headers: { 'x-api-key': `${KEY}x` } }), 'NER_ERR_HTTP_UNAUTHORIZED');
  });

  it('answers 429 with the catalogue code once the key exceeds its rate limit', async () => {
    current = await testApp({ config: { apiKeys: [KEY], rateLimitPerMinute: 1 }, queues: [unreachableQueue()] });
    expect((await current.app.inject({ url: '/admin/queues', headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    expectCatalogueBody(await current.app.inject({ url: '/admin/queues', headers: { 'x-api-key': KEY } }), 'NER_ERR_HTTP_RATE_LIMITED');
  });

  it("rewrites Bull Board's own errors: an unknown queue is a 404, Redis down a logged 503", async () => {
    current = await testApp({ queues: [unreachableQueue()] });
    const unknown = await current.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/nope/pause' });
    const error = expectCatalogueBody(unknown, 'NER_ERR_HTTP_NOT_FOUND') as { key?: string };
    expect(error.key).toBe('ERRORS.QUEUE_NOT_FOUND');
    const down = await current.app.inject({ url: '/admin/queues/api/queues' });
    expectCatalogueBody(down, 'NER_ERR_QUEUE_UNAVAILABLE');
    expect(current.logs()).toMatch(/"msg":"request failed"/);
    for (const url of ['/admin/nothing', '/admin/queues/static/nope.js']) expectCatalogueBody(await current.app.inject({ url }), 'NER_ERR_HTTP_NOT_FOUND');
  });

  it('maps each status Bull Board answers with to a catalogue code with that code status, keeping its key for its page', () => {
    const bull = (key: string) => JSON.stringify({ error: { key, options: { state: 'waiting' } } });
    expect(catalogueShaped(400, bull('ERRORS.JOB_NOT_RETRIABLE'))).toEqual({
      statusCode: 400,
      body: { error: { code: 'NER_ERR_HTTP_BAD_REQUEST', message: 'the queue dashboard refused the request: job not retriable', key: 'ERRORS.JOB_NOT_RETRIABLE', options: { state: 'waiting' } } },
    });
    for (const status of [403, 405, 409]) expect(catalogueShaped(status, bull('ERRORS.X'))?.body.error.code).toBe('NER_ERR_QUEUE_ACTION_REFUSED');
    expect(catalogueShaped(409, bull('ERRORS.JOB_IS_ACTIVE'))?.statusCode).toBe(409);
    expect(catalogueShaped(500, JSON.stringify({ error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: SECRET }))?.body.error).toEqual({
      code: 'NER_ERR_INTERNAL',
      message: expect.not.stringContaining(SECRET),
      key: 'ERRORS.INTERNAL_SERVER_ERROR',
    });
    expect(catalogueShaped(404, JSON.stringify({ error: { code: 'NER_ERR_HTTP_NOT_FOUND', message: 'no route' } }))).toBeUndefined();
  });
});

describe('the API routes', () => {
  it('413 names the limit that applied to the route, with its value', async () => {
    current = await testApp({ config: { bodyLimitBytes: 4096, jobBodyLimitBytes: 8192 } });
    const big = (bytes: number) => JSON.stringify({ notes: [{ id: 'n1', text: 'x'.repeat(bytes) }] });
    const extract = await current.app.inject({ method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(5000) }) });
    expect(expectCatalogueBody(extract, 'NER_ERR_HTTP_BODY_TOO_LARGE').message).toBe('the request body is larger than the limit of 4096 bytes (BODY_LIMIT_BYTES)');
    for (const contentType of ['application/json', 'application/x-ndjson']) {
      const jobs = await current.app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': contentType }, payload: big(9000) });
      expect(expectCatalogueBody(jobs, 'NER_ERR_HTTP_BODY_TOO_LARGE').message, contentType).toBe('the request body is larger than the limit of 8192 bytes (JOB_BODY_LIMIT_BYTES)');
    }
  });

  it('415, 404 (also under /docs, for OPTIONS and HEAD) and a URL Fastify cannot decode', async () => {
    current = await testApp();
    expectCatalogueBody(await current.app.inject({ method: 'POST', url: '/v1/extract', headers: { 'content-type': 'text/plain' }, payload: SECRET }), 'NER_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE');
    for (const url of ['/v1/nothing', '/docs/nope', '/docs/static/nope.js']) expectCatalogueBody(await current.app.inject({ url }), 'NER_ERR_HTTP_NOT_FOUND');
    expectCatalogueBody(await current.app.inject({ method: 'OPTIONS', url: '/v1/extract' }), 'NER_ERR_HTTP_NOT_FOUND');
    expect((await current.app.inject({ method: 'HEAD', url: '/health' })).statusCode).toBe(200);
    // A HEAD answer has no body on the wire (Node drops it); inject hands back what the route produced.
    const head = await current.app.inject({ method: 'HEAD', url: '/v1/nothing' });
    expect(head.statusCode).toBe(404);
    const badUrl = await current.app.inject({ url: `/v1/records/%E0%A4%A${SECRET}` });
    expect(expectCatalogueBody(badUrl, 'NER_ERR_HTTP_BAD_REQUEST').message).not.toContain(SECRET);
    expect(badUrl.statusCode).toBe(400);
  });

  it('a name to search stored records for that PostgreSQL cannot compare (a NUL) is a 400 naming the parameter', async () => {
    current = await testApp();
    for (const [url, field] of [['/v1/insights/treatments?disease=%00', 'disease'], ['/v1/records?disease=a%00b', 'disease'], ['/v1/records?treatment=x%00', 'treatment']]) {
      const response = await current.app.inject({ url: url as string });
      expect(expectCatalogueBody(response, 'NER_ERR_HTTP_UNSTORABLE_TEXT').message).toMatch(new RegExp(`^querystring/${field as string} has a NUL character`));
    }
  });

  it('a route throwing something that is not a NerError: 500 NER_ERR_INTERNAL, and the log quotes nothing PostgreSQL put in the error', async () => {
    const databaseError = Object.assign(new Error(`invalid input syntax for type integer: "${SECRET}"`), {
      code: '22P02',
      severity: 'ERROR',
      detail: `Token "${SECRET}" is invalid.`,
      where: `JSON data, line 1: {"text": "${SECRET}`,
    });
    const store = { findRecords: () => Promise.reject(databaseError) } as unknown as RecordStore;
    current = await testApp({ store });
    const response = await current.app.inject({ url: '/v1/records' });
    expect(expectCatalogueBody(response, 'NER_ERR_INTERNAL').message).not.toContain(SECRET);
    expect(current.logs()).toMatch(/PostgreSQL error 22P02: invalid input syntax for type integer/);
    expect(current.logs()).not.toContain(SECRET.slice(0, 5));
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('every route, any method, content type, key and body', () => {
  it('answers every error in the documented shape, and no 500 (503 only for the services this app lacks)', async () => {
    current = await testApp({ config: { apiKeys: [KEY], rateLimitPerMinute: 100_000, bodyLimitBytes: 4096, jobBodyLimitBytes: 8192 }, queues: [unreachableQueue()] });
    const paths = [
      '/v1/extract', '/v1/extract/batch', '/v1/jobs', '/v1/jobs/abc', '/v1/jobs/00000000-0000-0000-0000-000000000000/records', '/v1/records',
      '/v1/insights/treatments', '/v1/nightly/2026-01-01', '/v1/nightly/x', '/v1/drift', '/v1/reviews', '/v1/kpis', '/v1/models', '/admin/queues',
      '/admin/queues/api/queues', '/admin/queues/api/queues/nope/pause', '/admin/x', '/docs', '/docs/json', '/docs/nope', '/health', '/ready',
      '/metrics', '/review', '/nothing', '/v1/%E0%A4%A',
    ];
    const requests = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      url: fc.tuple(fc.constantFrom(...paths), fc.constantFrom('', '?limit=5', '?limit=-1', '?disease=asthma', '?since=yesterday', '?x=%ZZ')).map(([path, query]) => path + query),
      key: fc.constantFrom(KEY, `${KEY}x`, undefined),
      type: fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson', 'application/xml', undefined),
      body: fc.oneof(fc.constant(''), fc.json(), fc.string(), fc.constant(JSON.stringify({ text: 'x'.repeat(5000) })), fc.constant(JSON.stringify({ notes: [{ id: 'a', text: 'y'.repeat(9000) }] }))),
    });
    const offShape: string[] = [];
    const statuses = new Map<number, number>();
    for (const r of fc.sample(requests, { numRuns: 1_500, seed: 19 })) {
      const headers = { ...(r.key ? { 'x-api-key': r.key } : {}), ...(r.type ? { 'content-type': r.type } : {}) };
      const response = await current.app.inject({ method: r.method as 'GET', url: r.url, headers, ...(['GET', 'HEAD', 'OPTIONS'].includes(r.method) ? {} : { payload: r.body }) });
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode < 400 || r.method === 'HEAD') continue;
      const body = (() => {
        try {
          return response.json() as { error?: { code?: unknown; message?: unknown } };
        } catch {
          return undefined;
        }
      })();
      const code = body?.error?.code;
      const shaped = typeof code === 'string' && code in ERROR_CATALOGUE && typeof body?.error?.message === 'string' && Object.keys(body).length === 1;
      if (!shaped) offShape.push(`${r.method} ${r.url} → ${response.statusCode} ${response.body.slice(0, 100)}`);
    }
    expect(offShape).toEqual([]);
    expect(statuses.get(500)).toBeUndefined();
    expect([...statuses.keys()].filter((status) => status >= 400).length).toBeGreaterThan(5);
  });
});

/** Raw HTTP on a socket: what a client sees byte for byte, including requests Fastify never routes. */
async function rawExchange(socket: Socket, until: (received: string) => boolean): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  for (let i = 0; i < 200 && !until(received) && !socket.destroyed; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  return received;
}

function bodiesOf(raw: string): unknown[] {
  return [...raw.matchAll(/\r\n\r\n(\{.*?\})(?=HTTP\/1\.1|$)/gs)].map((m) => JSON.parse(m[1] as string));
}

describe('answers Fastify and Node give without a route', () => {
  it('a request that arrives while the server closes gets 503 NER_ERR_HTTP_SHUTTING_DOWN; the one in flight finishes', async () => {
    current = await testApp();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A response whose head is sent before close() and whose body ends after: its connection stays open,
    // so a request pipelined behind it reaches the server while it closes (as on a busy keep-alive connection).
    current.app.get('/slow', async (_request, reply) => {
      const body = new Readable({ read() {} });
      body.push('first part;');
      void gate.then(() => body.push(null));
      return reply.type('text/plain').send(body);
    });
    const address = await current.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = connect(Number(new URL(address).port), '127.0.0.1');
    await once(socket, 'connect');
    let raw = '';
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => raw.includes('first part;'));
    const closed = current.app.close();
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await until(() => socket.readableEnded || (raw.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && raw.trimEnd().endsWith('}'));
    socket.destroy();
    await closed;
    current = undefined;
    const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(second).toMatch(/^HTTP\/1\.1 503[^]*\r\nconnection: close\r\n/i);
    expect(JSON.parse((second as string).split('\r\n\r\n')[1] as string)).toEqual({ error: { code: 'NER_ERR_HTTP_SHUTTING_DOWN', message: expect.stringMatching(/shutting down/) } });
  });

  it("a request Node's HTTP parser refuses gets the catalogue's body", async () => {
    current = await testApp();
    const address = await current.app.listen({ port: 0, host: '127.0.0.1' });
    for (const [request, status] of [
      [`GET /health HTTP/1.1\r\nHost x ${SECRET}\r\n\r\n`, 400],
      [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`, 431],
    ] as const) {
      const socket = connect(Number(new URL(address).port), '127.0.0.1');
      await once(socket, 'connect');
      socket.write(request);
      const raw = await rawExchange(socket, (received) => received.includes('}'));
      socket.destroy();
      expect(raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(bodiesOf(raw)).toEqual([{ error: { code: 'NER_ERR_HTTP_BAD_REQUEST', message: expect.any(String) } }]);
      expect(raw).not.toContain(SECRET);
    }
  });
});
