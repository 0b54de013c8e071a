import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/test-app.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});
async function app(...args: Parameters<typeof testApp>) {
  current = await testApp(...args);
  return current.app;
}

const NOTE = 'Pt c/o cough. Lung cancer treated with cisplatin chemotherapy.\nType 2 diabetes on metformin 500mg b.i.d.';

describe('POST /v1/extract', () => {
  it('answers the record of the note, with valid offsets and the note id', async () => {
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract', payload: { text: NOTE, noteId: 'rx-1' } });
    expect(response.statusCode).toBe(200);
    const record = response.json();
    expect(record.noteId).toBe('rx-1');
    expect(record.modelVersion).toBe('dictionary-1');
    expect(record.diseases.map((e: { text: string }) => e.text)).toEqual(['cancer', 'diabetes']);
    expect(record.treatments.map((e: { text: string }) => e.text)).toEqual(['cisplatin chemotherapy', 'metformin']);
    expect(record.pairs).toEqual([
      { disease: 'cancer', treatment: 'cisplatin chemotherapy', evidence: 'explicit-link' },
      { disease: 'diabetes', treatment: 'metformin', evidence: 'explicit-link' },
    ]);
    for (const entity of record.entities) expect(NOTE.slice(entity.start, entity.end)).toBe(entity.text);
  });

  it('takes ?minConfidence= from 0 to 1 and refuses anything else with a code', async () => {
    const server = await app();
    const kept = await server.inject({ method: 'POST', url: '/v1/extract?minConfidence=0.99', payload: { text: NOTE } });
    expect(kept.statusCode).toBe(200);
    // The dictionary tagger has no probability model: its entities carry confidence 1 and all pass.
    expect(kept.json().entities.map((e: { confidence: number }) => e.confidence)).toEqual([1, 1, 1, 1]);
    for (const bad of ['abc', '1.5', '-0.1', '']) {
      const response = await server.inject({ method: 'POST', url: `/v1/extract?minConfidence=${bad}`, payload: { text: NOTE } });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
    }
    const batch = await server.inject({ method: 'POST', url: '/v1/extract/batch?minConfidence=.5', payload: { notes: [{ id: 'a', text: NOTE }] } });
    expect(batch.json().records[0].entities).toHaveLength(4);
  });

  it('extracts from an empty note without error', async () => {
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract', payload: { text: '' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ entities: [], pairs: [] });
    expect(response.json()).not.toHaveProperty('noteId');
  });

  it('extracts from text with a NUL or an unpaired surrogate: it stores nothing, so it takes what PostgreSQL could not', async () => {
    const text = 'Lung cancer\u0000 treated with cisplatin \ud83d.';
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract', payload: { text } });
    expect(response.statusCode).toBe(200);
    const record = response.json();
    expect(record.entities.map((e: { text: string }) => e.text)).toEqual(['cancer', 'cisplatin']);
    for (const entity of record.entities) expect(text.slice(entity.start, entity.end)).toBe(entity.text);
  });

  it('answers a request id header', async () => {
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract', payload: { text: 'x' } });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends helmet's security headers on answers, errors and unknown routes alike", async () => {
    const server = await app();
    const answers = [
      await server.inject({ method: 'POST', url: '/v1/extract', payload: { text: 'x' } }),
      await server.inject({ method: 'POST', url: '/v1/extract', payload: { text: 7 } }),
      await server.inject({ method: 'GET', url: '/no-such-route' }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([200, 400, 404]);
    for (const response of answers) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['content-security-policy']).toBeUndefined();
    }
  });
});

describe('POST /v1/extract/batch', () => {
  it('answers one record per note, in input order', async () => {
    const notes = [
      { id: 'b', text: 'Asthma treated with azithromycin.' },
      { id: 'a', text: 'No findings.' },
      { id: 'c', text: 'Typhoid.' },
    ];
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract/batch', payload: { notes } });
    expect(response.statusCode).toBe(200);
    const { records } = response.json();
    expect(records.map((r: { noteId: string }) => r.noteId)).toEqual(['b', 'a', 'c']);
    expect(records[0].pairs).toEqual([{ disease: 'Asthma', treatment: 'azithromycin', evidence: 'explicit-link' }]);
    expect(records[1].entities).toEqual([]);
  });
});

/** Each bad input: its status and stable code. */
describe('bad input', () => {
  const cases: { name: string; request: InjectOptions; status: number; code: string; message?: RegExp }[] = [
    { name: 'malformed JSON', request: { method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: '{"text": "unterminated' }, status: 400, code: 'NER_ERR_HTTP_MALFORMED_JSON' },
    { name: 'an empty JSON body', request: { method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: '' }, status: 400, code: 'NER_ERR_HTTP_MALFORMED_JSON' },
    { name: 'a JSON array body', request: { method: 'POST', url: '/v1/extract', payload: [1, 2] }, status: 400, code: 'NER_ERR_HTTP_VALIDATION' },
    { name: 'missing text', request: { method: 'POST', url: '/v1/extract', payload: { noteId: 'x' } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /text/ },
    { name: 'text that is a number', request: { method: 'POST', url: '/v1/extract', payload: { text: 42 } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /text must be string/ },
    { name: 'text that is null', request: { method: 'POST', url: '/v1/extract', payload: { text: null } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION' },
    { name: 'an empty noteId', request: { method: 'POST', url: '/v1/extract', payload: { text: 'x', noteId: '' } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /noteId/ },
    { name: 'an unknown field', request: { method: 'POST', url: '/v1/extract', payload: { text: 'x', txet: 'y' } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /additional/ },
    { name: 'a note over the length limit', request: { method: 'POST', url: '/v1/extract', payload: { text: 'a '.repeat(1_001) } }, status: 413, code: 'NER_ERR_HTTP_NOTE_TOO_LONG', message: /2000 characters/ },
    { name: 'an empty notes array', request: { method: 'POST', url: '/v1/extract/batch', payload: { notes: [] } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /notes/ },
    { name: 'notes that is not an array', request: { method: 'POST', url: '/v1/extract/batch', payload: { notes: 'x' } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION' },
    { name: 'a batch note without id', request: { method: 'POST', url: '/v1/extract/batch', payload: { notes: [{ text: 'x' }] } }, status: 400, code: 'NER_ERR_HTTP_VALIDATION', message: /id/ },
    { name: 'a batch note over the length limit', request: { method: 'POST', url: '/v1/extract/batch', payload: { notes: [{ id: '1', text: 'ok' }, { id: '2', text: 'x'.repeat(2_001) }] } }, status: 413, code: 'NER_ERR_HTTP_NOTE_TOO_LONG', message: /notes\/1\/text .*2000/ },
    { name: 'too many notes', request: { method: 'POST', url: '/v1/extract/batch', payload: { notes: Array.from({ length: 6 }, (_, i) => ({ id: String(i), text: 'x' })) } }, status: 413, code: 'NER_ERR_HTTP_TOO_MANY_NOTES', message: /at most 5 notes \(MAX_BATCH_NOTES/ },
    { name: 'a body over the limit', request: { method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(70_000) }) }, status: 413, code: 'NER_ERR_HTTP_BODY_TOO_LARGE', message: /65536 bytes/ },
    { name: 'text/plain', request: { method: 'POST', url: '/v1/extract', headers: { 'content-type': 'text/plain' }, payload: 'Lung cancer.' }, status: 415, code: 'NER_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'form data', request: { method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'text=x' }, status: 415, code: 'NER_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'an unknown route', request: { method: 'GET', url: '/v1/nothing' }, status: 404, code: 'NER_ERR_HTTP_NOT_FOUND', message: /GET \/v1\/nothing/ },
    { name: 'a wrong method', request: { method: 'GET', url: '/v1/extract' }, status: 404, code: 'NER_ERR_HTTP_NOT_FOUND' },
    { name: 'a path with a percent-encoding that is not UTF-8', request: { method: 'GET', url: '/v1/jobs/%ZZ%E0%A4%A' }, status: 400, code: 'NER_ERR_HTTP_BAD_REQUEST', message: /percent-encoding/ },
    { name: 'a path parameter over the router\'s length', request: { method: 'GET', url: `/v1/jobs/${'x'.repeat(300)}` }, status: 414, code: 'NER_ERR_HTTP_BAD_REQUEST', message: /path parameter is longer/ },
  ];
  for (const { name, request, status, code, message } of cases) {
    it(`${name}: ${status} ${code}`, async () => {
      const response = await (await app()).inject(request);
      expect(response.statusCode).toBe(status);
      const body = response.json();
      expect(body).toEqual({ error: { code, message: expect.any(String) } });
      if (message) expect(body.error.message).toMatch(message);
    });
  }

  it('never echoes the body of malformed JSON in the error', async () => {
    const response = await (await app()).inject({ method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: '{"text": "Mrs Jones has HIV' });
    expect(response.body).not.toContain('Jones');
  });

  it('counts rejected notes in the metrics', async () => {
    const instance = await app();
    await instance.inject({ method: 'POST', url: '/v1/extract', payload: { text: 'x'.repeat(2_001) } });
    expect(await current?.metrics.registry.getSingleMetricAsString('behealthy_notes_total')).toMatch(/outcome="rejected"} 1/);
  });
});
