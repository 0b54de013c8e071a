import { afterEach, describe, expect, it } from 'vitest';
import type { RecordQuery, RecordStore } from '../../src/store/record-store.js';
import { testApp, type TestApp } from '../helpers/test-app.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

/** A store that records what the routes ask of it (the SQL itself is tested against PostgreSQL in record-store.pg.test.ts). */
function recordingStore() {
  const asked: unknown[] = [];
  const store = {
    findRecords: (query: RecordQuery) => (asked.push(query), Promise.resolve([])),
    treatmentsForDisease: (disease: string | { code: string }, limit: number) => (asked.push({ disease, limit }), Promise.resolve([{ treatment: 'Telma', generic: 'telmisartan', notes: 2, pairs: 2 }])),
    diseasesByCode: (limit: number) => (asked.push({ limit }), Promise.resolve([{ code: 'I10', display: 'Essential (primary) hypertension', notes: 2, mentions: 3, names: ['htn', 'hypertension'] }])),
  } as unknown as RecordStore;
  return { store, asked };
}

describe('analytics by concept code', () => {
  it('GET /v1/records?code= passes the code (upper-cased) and refuses what is not a code', async () => {
    const { store, asked } = recordingStore();
    current = await testApp({ store });
    expect((await current.app.inject({ url: '/v1/records?code=e11' })).statusCode).toBe(200);
    expect(asked).toEqual([{ code: 'E11', limit: 100 }]);
    const bad = await current.app.inject({ url: "/v1/records?code=I10'%20OR%201=1" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
  });

  it('GET /v1/insights/treatments takes a disease or a code, not both and not neither', async () => {
    const { store, asked } = recordingStore();
    current = await testApp({ store });
    const byCode = await current.app.inject({ url: '/v1/insights/treatments?code=I10&limit=5' });
    expect(byCode.json()).toEqual({ code: 'I10', treatments: [{ treatment: 'Telma', generic: 'telmisartan', notes: 2, pairs: 2 }] });
    expect(asked).toEqual([{ disease: { code: 'I10' }, limit: 5 }]);
    expect((await current.app.inject({ url: '/v1/insights/treatments?disease=HTN' })).json().disease).toBe('HTN');
    for (const url of ['/v1/insights/treatments', '/v1/insights/treatments?disease=HTN&code=I10']) {
      const response = await current.app.inject({ url });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
    }
  });

  it('GET /v1/insights/diseases lists diseases by code with their display and the names written for them', async () => {
    const { store } = recordingStore();
    current = await testApp({ store });
    const response = await current.app.inject({ url: '/v1/insights/diseases' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ diseases: [{ code: 'I10', display: 'Essential (primary) hypertension', notes: 2, mentions: 3, names: ['htn', 'hypertension'] }] });
  });
});
