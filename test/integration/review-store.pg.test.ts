import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
