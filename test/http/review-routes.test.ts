import { afterEach, describe, expect, it } from 'vitest';
import type { Review, ReviewStore } from '../../src/store/review-store.js';
import { testApp, type TestApp } from '../helpers/test-app.js';

function memoryReviews(): ReviewStore & { stored: Review[] } {
  const stored: Review[] = [];
  return {
    stored,
    async add(review) {
      stored.push(review);
      return { reviewId: stored.length, correctionId: stored.length, recordReviewed: false, createdAt: new Date('2026-12-01T10:00:00Z') };
    },
    async samples() {
      return stored.map((r) => ({ before: r.before, after: r.after, seconds: r.seconds, changed: r.changed }));
    },
    async queue(filter) {
      queueFilters.push(filter);
      return [{ noteId: 'q1', jobId: '6f0c2b1e-0000-5000-8000-000000000001', processedAt: new Date('2026-12-01T09:00:00Z'), text, record: { noteId: 'q1', modelVersion: 'm', diseases: [], treatments: [], entities: [], pairs: [] } }];
    },
  };
}
const queueFilters: unknown[] = [];

const text = 'Dx: typhoid fever. Rx: azithromycin.';
const before = [{ type: 'disease', start: 4, end: 11 }, { type: 'treatment', start: 23, end: 35 }];
const after = [{ type: 'disease', start: 4, end: 17 }, { type: 'treatment', start: 23, end: 35 }];

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

describe('GET /v1/reviews/queue', () => {
  it('answers unreviewed stored records with their text, passing the filters on, and validates them', async () => {
    current = await testApp({ reviews: memoryReviews() });
    const response = await current.app.inject({ url: '/v1/reviews/queue?jobId=6f0c2b1e-0000-5000-8000-000000000001&since=2026-12-01T00:00:00Z&limit=5' });
    expect(response.statusCode).toBe(200);
    expect(response.json().records).toEqual([expect.objectContaining({ noteId: 'q1', text, processedAt: '2026-12-01T09:00:00.000Z' })]);
    expect(queueFilters.at(-1)).toEqual({ jobId: '6f0c2b1e-0000-5000-8000-000000000001', since: new Date('2026-12-01T00:00:00Z'), limit: 5 });
    for (const bad of ['jobId=x', 'limit=0', 'limit=101', 'since=yesterday']) {
      expect((await current.app.inject({ url: `/v1/reviews/queue?${bad}` })).json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
    }
  });
});

describe('POST /v1/reviews and GET /v1/kpis', () => {
  it('stores a review, calls the retraining trigger, and reports KPIs', async () => {
    const reviews = memoryReviews();
    let triggered = 0;
    current = await testApp({ reviews, onCorrections: async () => { triggered += 1; } });
    const response = await current.app.inject({
      method: 'POST', url: '/v1/reviews',
      payload: { noteId: 'n1', text, entities: after, before, reviewer: 'ana', seconds: 12.5, acceptedWithoutChange: false },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ reviewId: 1, correctionId: 1, noteId: 'n1', changed: true, recordStatus: 'not-stored', createdAt: '2026-12-01T10:00:00.000Z' });
    expect(reviews.stored[0]).toMatchObject({ noteId: 'n1', reviewer: 'ana', changed: true, after, before });
    expect(triggered).toBe(1);
    expect(current.logs()).not.toContain('typhoid');

    const kpis = (await current.app.inject({ method: 'GET', url: '/v1/kpis' })).json();
    expect(kpis).toMatchObject({ reviews: 1, acceptedWithoutChange: 0, reviewSeconds: { mean: 12.5, median: 12.5 } });
    expect(kpis.perType.disease).toMatchObject({ precision: 0, recall: 0 });
    expect(kpis.perType.treatment).toMatchObject({ precision: 1, recall: 1 });
  });

  it('refuses spans outside the text, text that does not match, and an "accepted" review that changed', async () => {
    current = await testApp({ reviews: memoryReviews() });
    const post = (body: object) => current!.app.inject({ method: 'POST', url: '/v1/reviews', payload: { noteId: 'n1', text, entities: after, before, reviewer: 'ana', seconds: 1, acceptedWithoutChange: false, ...body } });
    for (const body of [
      { entities: [{ type: 'disease', start: 30, end: 99 }] },
      { before: [{ type: 'disease', start: 5, end: 5 }] },
      { entities: [{ type: 'disease', start: 4, end: 11, text: 'fever' }] },
      { acceptedWithoutChange: true },
      { entities: [{ type: 'symptom', start: 0, end: 2 }] },
      { seconds: -1 },
    ]) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
    }
  });

  it('answers 400 NER_ERR_HTTP_UNSTORABLE_TEXT to a NUL or an unpaired surrogate in what it stores, naming field and offset', async () => {
    const reviews = memoryReviews();
    current = await testApp({ reviews });
    const post = (body: object) => current!.app.inject({ method: 'POST', url: '/v1/reviews', payload: { noteId: 'n1', text, entities: after, before, reviewer: 'ana', seconds: 1, acceptedWithoutChange: false, ...body } });
    const cases: [object, string][] = [
      [{ text: `${text}\u0000` }, 'body/text has a NUL character (U+0000) at offset 36, which cannot be stored'],
      [{ text: `Dx: typhoid\ud83d fever. Rx: azithromycin.` }, 'body/text has an unpaired UTF-16 surrogate at offset 11, which cannot be stored'],
      [{ reviewer: 'a\u0000na' }, 'body/reviewer has a NUL character (U+0000) at offset 1, which cannot be stored'],
      [{ noteId: 'n\udc001' }, 'body/noteId has an unpaired UTF-16 surrogate at offset 1, which cannot be stored'],
    ];
    for (const [body, message] of cases) {
      const response = await post(body);
      expect(response.statusCode, message).toBe(400);
      expect(response.json()).toEqual({ error: { code: 'NER_ERR_HTTP_UNSTORABLE_TEXT', message } });
    }
    expect(reviews.stored).toEqual([]);
    // A surrogate pair is text like any other.
    expect((await post({ text: `${text} 😀` })).statusCode).toBe(201);
  });

  it('answers 503 without a store, and serves the page with its assets', async () => {
    current = await testApp();
    const kpis = await current.app.inject({ method: 'GET', url: '/v1/kpis' });
    expect(kpis.statusCode).toBe(503);
    expect(kpis.json().error.code).toBe('NER_ERR_STORE_UNAVAILABLE');
    const page = await current.app.inject({ method: 'GET', url: '/review' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/review/app.js');
    const script = await current.app.inject({ method: 'GET', url: '/review/app.js' });
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.body).not.toContain('innerHTML');
    expect((await current.app.inject({ method: 'GET', url: '/review/style.css' })).headers['content-type']).toContain('text/css');
  });
});
