import { afterEach, describe, expect, it } from 'vitest';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import { testApp, type TestApp } from '../helpers/test-app.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';
const extract = (headers: Record<string, string> = {}) => ({ method: 'POST' as const, url: '/v1/extract', headers, payload: { text: 'Lung cancer.' } });

describe('API keys', () => {
  it('leave /v1 open when none is configured', async () => {
    current = await testApp();
    expect((await current.app.inject(extract())).statusCode).toBe(200);
  });

  it('when configured, refuse a request without a key or with a wrong one', async () => {
    current = await testApp({ config: { apiKeys: [KEY_A] } });
    const missing = await current.app.inject(extract());
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error).toMatchObject({ code: 'NER_ERR_HTTP_UNAUTHORIZED', message: expect.stringMatching(/required/) });
    const wrong = await current.app.inject(extract({ 'x-api-key': `${KEY_A}x` }));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toMatch(/not valid/);
    expect((await current.app.inject(extract({ authorization: `Basic ${KEY_A}` }))).statusCode).toBe(401);
  });

  it('accept a key as a bearer token or as x-api-key, any of several keys', async () => {
    current = await testApp({ config: { apiKeys: [KEY_A, KEY_B] } });
    expect((await current.app.inject(extract({ authorization: `Bearer ${KEY_A}` }))).statusCode).toBe(200);
    expect((await current.app.inject(extract({ 'x-api-key': KEY_B }))).statusCode).toBe(200);
  });

  it('check the key before the body: an unauthenticated bad body is a 401, not a 400', async () => {
    current = await testApp({ config: { apiKeys: [KEY_A] } });
    const response = await current.app.inject({ method: 'POST', url: '/v1/extract', headers: { 'content-type': 'application/json' }, payload: '{bad' });
    expect(response.statusCode).toBe(401);
  });

  it('do not guard health, readiness, metrics and docs', async () => {
    current = await testApp({ config: { apiKeys: [KEY_A] } });
    for (const url of ['/health', '/ready', '/metrics', '/docs/json']) expect((await current.app.inject({ url })).statusCode, url).toBe(200);
  });

  it('give each valid key its own bucket id, never the key itself', () => {
    const check = createApiKeyCheck([KEY_A, KEY_B]);
    const a = check.authenticate({ 'x-api-key': KEY_A });
    const b = check.authenticate({ authorization: `Bearer ${KEY_B}` });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(a).not.toContain(KEY_A);
    expect(check.authenticate({ 'x-api-key': KEY_A.slice(0, -1) })).toBeUndefined();
    expect(check.authenticate({})).toBeUndefined();
  });
});

describe('rate limiting', () => {
  it('answers 429 with a code and retry-after once a key exceeds its limit, per key', async () => {
    current = await testApp({ config: { apiKeys: [KEY_A, KEY_B], rateLimitPerMinute: 2 } });
    const a = { 'x-api-key': KEY_A };
    expect((await current.app.inject(extract(a))).statusCode).toBe(200);
    expect((await current.app.inject(extract(a))).statusCode).toBe(200);
    const limited = await current.app.inject(extract(a));
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'NER_ERR_HTTP_RATE_LIMITED', message: expect.stringMatching(/2 requests per minute/) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await current.app.inject(extract({ 'x-api-key': KEY_B }))).statusCode).toBe(200);
  });

  it('does not limit health checks', async () => {
    current = await testApp({ config: { rateLimitPerMinute: 1 } });
    for (let i = 0; i < 3; i++) expect((await current.app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('logs', () => {
  it('never contain a note, whatever happens to the request', async () => {
    current = await testApp({ config: { logLevel: 'trace', apiKeys: [KEY_A] } });
    const secret = 'Zyxwv Quokka-Patient';
    const headers = { 'x-api-key': KEY_A };
    const requests = [
      { method: 'POST' as const, url: '/v1/extract', headers, payload: { text: `${secret} has lung cancer.`, noteId: 'n1' } },
      { method: 'POST' as const, url: '/v1/extract/batch', headers, payload: { notes: [{ id: 'a', text: secret }] } },
      { method: 'POST' as const, url: '/v1/extract', headers: { ...headers, 'content-type': 'application/json' }, payload: `{"text": "${secret}` },
      { method: 'POST' as const, url: '/v1/extract', headers, payload: { text: `${secret} `.repeat(200) } },
      { method: 'POST' as const, url: '/v1/extract', headers, payload: { text: secret, [secret]: 1 } },
      { method: 'POST' as const, url: '/v1/extract', headers: { ...headers, 'content-type': 'text/plain' }, payload: secret },
      { method: 'POST' as const, url: '/v1/extract', payload: { text: secret } },
    ];
    for (const request of requests) await current.app.inject(request);
    const logs = current.logs();
    expect(logs).toContain('request completed');
    expect(logs).toMatch(/"notes":1,"chars":\d+/);
    expect(logs).not.toContain('Quokka');
    expect(logs).not.toContain(KEY_A);
  });
});
