import { afterEach, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/test-app.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

describe('GET /health', () => {
  it('is ok', async () => {
    current = await testApp();
    const response = await current.app.inject({ url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /ready', () => {
  it('is ready with the model version when every dependency is up', async () => {
    current = await testApp({ dependencies: [{ name: 'redis', neededBy: 'jobs', hint: 'start it', check: async () => {} }] });
    const response = await current.app.inject({ url: '/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', model: { status: 'up', version: 'dictionary-1' }, dependencies: { redis: { status: 'up' } } });
  });

  it('is degraded, still 200, naming what is down, what needs it and what to do', async () => {
    current = await testApp({
      dependencies: [
        { name: 'redis', neededBy: 'POST /v1/jobs', hint: 'start Redis or set REDIS_URL', check: async () => { throw new Error('connect ECONNREFUSED'); } },
        { name: 'postgres', neededBy: 'records', hint: 'start PostgreSQL', check: () => new Promise(() => {}) },
      ],
    });
    const response = await current.app.inject({ url: '/ready' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('degraded');
    expect(body.dependencies.redis).toEqual({ status: 'down', detail: 'connect ECONNREFUSED; start Redis or set REDIS_URL', neededBy: 'POST /v1/jobs' });
    expect(body.dependencies.postgres.detail).toMatch(/no answer within 1000 ms/);
  });
});

describe('GET /metrics', () => {
  it('exposes request latency by route and status, notes, tokens, entities by type, extraction time and the model version', async () => {
    current = await testApp();
    await current.app.inject({ method: 'POST', url: '/v1/extract', payload: { text: 'Lung cancer treated with cisplatin.' } });
    await current.app.inject({ method: 'POST', url: '/v1/extract', payload: { text: 42 } });
    const response = await current.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).toMatch(/behealthy_http_request_duration_seconds_count\{method="POST",route="\/v1\/extract",status_code="200"\} 1/);
    expect(text).toMatch(/behealthy_http_request_duration_seconds_count\{method="POST",route="\/v1\/extract",status_code="400"\} 1/);
    expect(text).toMatch(/behealthy_notes_total\{outcome="ok"\} 1/);
    expect(text).toMatch(/behealthy_tokens_total 6/);
    expect(text).toMatch(/behealthy_entities_total\{type="disease"\} 1/);
    expect(text).toMatch(/behealthy_entities_total\{type="treatment"\} 1/);
    expect(text).toMatch(/behealthy_extraction_duration_seconds_count 1/);
    expect(text).toMatch(/behealthy_model_info\{version="dictionary-1"\} 1/);
  });

  it('labels unmatched routes as one series, not one per URL', async () => {
    current = await testApp();
    await current.app.inject({ url: '/a' });
    await current.app.inject({ url: '/b' });
    const text = (await current.app.inject({ url: '/metrics' })).body;
    expect(text).toMatch(/route="unmatched",status_code="404"\} 2/);
  });
});

describe('OpenAPI', () => {
  it('documents the routes, the record and the error schema', async () => {
    current = await testApp();
    const response = await current.app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/extract', '/v1/extract/batch', '/health', '/ready', '/metrics']));
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Record', 'Entity', 'Error']));
    expect(document.paths['/v1/extract'].post.requestBody.content['application/json'].schema.properties.text.maxLength).toBe(2_000);
  });

  it('serves the UI at /docs', async () => {
    current = await testApp();
    const response = await current.app.inject({ url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
  });
});
