import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess } from '../../scripts/api-process.js';
import { assertBuiltFromSources, errorShapeProblem, offsetProblems, printFigure } from './attack-checks.js';

/**
 * SIGTERM to a real API process (node dist/main-api.js) with requests in flight: each in-flight request
 * completes with 200 and its whole record; a request made once the server has begun shutting down is
 * refused at the door (the listener is closed), or answered 503 with the documented body
 * (NER_ERR_HTTP_SHUTTING_DOWN), never served; the process exits 0. A request pipelined behind one in
 * flight may also go unanswered: the in-flight response closes the connection.
 */
const IN_FLIGHT = 4;

/** About a second of extraction each, four interleaved on one process: all in flight at the signal, done well within SHUTDOWN_TIMEOUT_MS. */
const NOTE = 'Patients with lung cancer were treated with cisplatin. Asthma was managed with salbutamol. '.repeat(1_500);

interface RawResponse {
  statuses: number[];
  bodies: { status: number; contentType: string | undefined; body: string }[];
  error?: string;
}

/** Responses read off a raw socket (HTTP/1.1, Content-Length bodies), until the server closes it. */
function collectResponses(socket: Socket): Promise<RawResponse> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0);
    const result: RawResponse = { statuses: [], bodies: [] };
    const parse = (): void => {
      for (;;) {
        const headerEnd = buffer.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buffer.subarray(0, headerEnd).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < headerEnd + 4 + length) return;
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
        result.statuses.push(status);
        result.bodies.push({ status, contentType: /content-type: *([^\r\n]+)/i.exec(head)?.[1], body: buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8') });
        buffer = buffer.subarray(headerEnd + 4 + length);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      parse();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (result.error = error.code ?? error.message));
    socket.on('close', () => resolve(result));
  });
}

const rawPost = (path: string, body: string): string => `POST ${path} HTTP/1.1\r\nHost: attack\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** A request on a connection of its own (no keep-alive pool): its status and body, or why it got none. */
function freshRequest(port: number, body: string): Promise<{ status: number; contentType?: string; body?: string; refused?: string }> {
  return new Promise((resolve) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/v1/extract', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: text }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, refused: error.code ?? error.message }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, refused: error.code ?? error.message }));
    request.end(body);
  });
}

describe('attack: shutdown with requests in flight', () => {
  beforeAll(assertBuiltFromSources);

  it(`SIGTERM with ${IN_FLIGHT} requests in flight: each completes with 200, later requests are refused or answered 503 with the documented body, exit 0`, async () => {
    const api = await startApiProcess({ WEB_CONCURRENCY: '1', LOG_LEVEL: 'info', MAX_NOTE_CHARS: '1000000', BODY_LIMIT_BYTES: '4000000' }, { stdio: ['ignore', 'pipe', 'inherit'] });
    let log = '';
    api.child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const port = Number(new URL(api.url).port);
    const body = JSON.stringify({ text: NOTE });
    // Warm: a cold server can take longer to read the requests below than the wait before the signal.
    await fetch(`${api.url}/v1/extract`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const sockets = Array.from({ length: IN_FLIGHT }, () => connect(port, '127.0.0.1'));
    const responses = sockets.map(collectResponses);
    for (const socket of sockets) socket.write(rawPost('/v1/extract', body));
    // One more, behind which a request is pipelined once shutdown has begun (reported, not asserted: the
    // in-flight response closes the connection, and a close with the pipelined request unread may reset it).
    const probe = connect(port, '127.0.0.1');
    const probed = collectResponses(probe);
    probe.write(rawPost('/v1/extract', body));
    // Let the server read them all before the signal (extraction runs in slices, so the four interleave and each
    // is still in flight a second later).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const exited = api.stop('SIGTERM');
    const begun = performance.now();
    while (!log.includes('shutting down') && performance.now() - begun < 10_000) await new Promise((resolve) => setTimeout(resolve, 2));
    probe.write(rawPost('/v1/extract', JSON.stringify({ text: 'Asthma treated with salbutamol.' })));
    // New requests, each on a connection of its own, until the listener is gone.
    const later: Awaited<ReturnType<typeof freshRequest>>[] = [];
    while (performance.now() - begun < 10_000) {
      const answer = await freshRequest(port, JSON.stringify({ text: 'Gout treated with colchicine.' }));
      later.push(answer);
      if (answer.refused === 'ECONNREFUSED') break;
    }
    const code = await exited;
    const done = await Promise.all(responses);
    const pipelined = (await probed).bodies.slice(1);

    const inFlightOk = done.map((r) => r.bodies[0]).filter((r) => r?.status === 200 && offsetProblems(NOTE, JSON.parse(r.body)) === 0 && (JSON.parse(r.body) as { entities: unknown[] }).entities.length > 0).length;
    const answers = [...later, ...pipelined];
    const answered503 = answers.filter((r) => r.status === 503);
    const offShape503 = answered503.filter((r) => errorShapeProblem(503, r.contentType, r.body ?? '') !== undefined);
    const served = answers.filter((r) => r.status > 0 && r.status !== 503);
    printFigure({
      attack: 'shutdown', inFlight: IN_FLIGHT, inFlightCompleted200: inFlightOk, inFlightOutcomes: done.map((r) => r.statuses[0] ?? r.error ?? 'closed'),
      laterRequests: later.length, laterRefused: later.filter((r) => r.status === 0).length, later503: answered503.length, later503OffShape: offShape503.length,
      later503ShuttingDownCode: answered503.filter((r) => r.body?.includes('"NER_ERR_HTTP_SHUTTING_DOWN"')).length, laterServed: served.length,
      pipelinedAnswered: pipelined.map((r) => r.status), exitCode: code,
    });
    expect(inFlightOk).toBe(IN_FLIGHT);
    expect(served.map((r) => r.status)).toEqual([]);
    expect(offShape503.map((r) => (r.body ?? '').slice(0, 200))).toEqual([]);
    expect(code).toBe(0);
  }, 60_000);

  it('a response still being sent at SIGTERM (a slow reader, kept alive): it completes, then the process exits 0 without waiting for the client to hang up', async () => {
    // The record's size is what this measures, not its codes: 80,000 coded entities make a record of about 45 MB,
    // more than API_HEAP_LIMIT_MB holds beside the concept index (notes within the default MAX_NOTE_CHARS fit).
    const api = await startApiProcess({ WEB_CONCURRENCY: '1', LOG_LEVEL: 'info', MAX_NOTE_CHARS: '1000000', BODY_LIMIT_BYTES: '4000000', SHUTDOWN_TIMEOUT_MS: '5000', CONCEPT_CODES: 'off' }, { stdio: ['ignore', 'pipe', 'inherit'] });
    let log = '';
    api.child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // A record of about 16 MB: more than the socket buffers hold while the client does not read.
    const text = 'asthma, '.repeat(80_000);
    const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
    const response = collectResponses(socket);
    const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(rawPost('/v1/extract', JSON.stringify({ text })));
    await firstBytes;
    socket.pause();
    const exited = api.stop('SIGTERM');
    const begun = performance.now();
    while (!log.includes('shutting down') && performance.now() - begun < 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.resume();
    const resumed = performance.now();
    const code = await exited;
    const exitMs = performance.now() - resumed;
    const { statuses, bodies } = await response;
    const complete = bodies[0]?.status === 200 && (JSON.parse(bodies[0].body) as { entities: unknown[] }).entities.length === 80_000;
    printFigure({ attack: 'shutdown-slow-reader', responseBytes: bodies[0]?.body.length ?? 0, statuses, complete, exitCode: code, exitMsAfterReading: Math.round(exitMs), shutdownTimeoutMs: 5_000 });
    expect(complete).toBe(true);
    expect(code).toBe(0);
  }, 60_000);
});
