import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { createPgReviewStore } from '../../src/store/review-store.js';
import { freshSchema } from '../helpers/services.js';

describe('review store (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    db = await freshSchema();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores the correction and the review together, and marks a stored record reviewed', async () => {
    const jobId = randomUUID();
    await db.pool.query('INSERT INTO submissions (id, notes, batches) VALUES ($1, 1, 1)', [jobId]);
    await db.pool.query(`INSERT INTO records (note_id, job_id, model_version, processed_at, record) VALUES ('stored-1', $1, 'm1', now(), '{}')`, [jobId]);
    const store = createPgReviewStore(db.pool);
    const review = { text: 'Dx: asthma.', before: [{ type: 'disease' as const, start: 4, end: 10 }], after: [{ type: 'disease' as const, start: 4, end: 10 }], reviewer: 'ana', seconds: 3, changed: false };
    const stored = await store.add({ ...review, noteId: 'stored-1' });
    expect(stored.recordReviewed).toBe(true);
    expect((await store.add({ ...review, noteId: 'pasted-1', seconds: 5, changed: true, after: [] })).recordReviewed).toBe(false);

    const { rows } = await db.pool.query("SELECT reviewed_at FROM records WHERE note_id = 'stored-1'");
    expect(rows[0].reviewed_at).toEqual(stored.createdAt);
    const corrections = await db.pool.query('SELECT note_id, source, reviewer, entities, before FROM corrections ORDER BY id');
    expect(corrections.rows).toEqual([
      { note_id: 'stored-1', source: 'review', reviewer: 'ana', entities: review.after, before: review.before },
      { note_id: 'pasted-1', source: 'review', reviewer: 'ana', entities: [], before: review.before },
    ]);
    expect(await store.samples()).toEqual([
      { before: review.before, after: review.after, seconds: 3, changed: false },
      { before: review.before, after: [], seconds: 5, changed: true },
    ]);
  });

  it('offers stored records with their text for review until reviewed, and again once re-processed', async () => {
    const jobId = randomUUID();
    const other = randomUUID();
    const records = createPgRecordStore(db.pool);
    const reviews = createPgReviewStore(db.pool);
    await records.createSubmission({ jobId, notes: 2, batches: 1, source: 'api' });
    await records.createSubmission({ jobId: other, notes: 1, batches: 1, source: 'api' });
    const record = (noteId: string) => ({ noteId, modelVersion: 'm1', diseases: [], treatments: [], entities: [], pairs: [] });
    await records.saveBatch({ jobId, records: [record('q-a'), record('q-b')], texts: ['Dx: gout.', 'Dx: flu.'], failures: [], processedAt: new Date('2026-03-01T00:00:00Z') });
    await records.saveBatch({ jobId: other, records: [record('q-c')], texts: ['Dx: measles.'], failures: [], processedAt: new Date('2026-03-02T00:00:00Z') });
    expect((await reviews.queue({ jobId, limit: 10 })).map((q) => [q.noteId, q.text])).toEqual([['q-a', 'Dx: gout.'], ['q-b', 'Dx: flu.']]);
    expect((await reviews.queue({ since: new Date('2026-03-02T00:00:00Z'), limit: 10 })).map((q) => q.noteId)).toEqual(['q-c']);
    await reviews.add({ noteId: 'q-a', text: 'Dx: gout.', before: [], after: [{ type: 'disease', start: 4, end: 8 }], reviewer: 'ana', seconds: 2, changed: true });
    expect((await reviews.queue({ jobId, limit: 10 })).map((q) => q.noteId)).toEqual(['q-b']);
    await records.saveBatch({ jobId, records: [record('q-a')], texts: ['Dx: gout, again.'], failures: [], processedAt: new Date('2026-03-03T00:00:00Z') });
    expect((await reviews.queue({ jobId, limit: 10 })).map((q) => [q.noteId, q.text])).toEqual([['q-b', 'Dx: flu.'], ['q-a', 'Dx: gout, again.']]);
  });
});
