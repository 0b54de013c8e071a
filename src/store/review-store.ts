import type pg from 'pg';
import type { OffsetEntity } from '../core/text/annotated-sentences.js';
import type { ReviewSample } from '../core/evaluation/review-kpis.js';
import type { ExtractionRecord } from '../core/text/types.js';

/** A note reviewed on the review page: stored as a correction (source 'review') and a review row. */
export interface Review {
  noteId: string;
  text: string;
  /** The reviewer's entities. */
  after: OffsetEntity[];
  /** The model's entities, as shown to the reviewer. */
  before: OffsetEntity[];
  reviewer: string;
  seconds: number;
  changed: boolean;
}

export interface StoredReview {
  reviewId: number;
  correctionId: number;
  /** Whether the note id is a stored record (its review status is now reviewed). */
  recordReviewed: boolean;
  createdAt: Date;
}

/** Reviews in PostgreSQL (tables reviews and corrections; records.reviewed_at). */
export interface ReviewStore {
  /** The correction, the review and the record's status, in one transaction. */
  add(review: Review): Promise<StoredReview>;
  /** Every review's before / after and time, for the KPIs. */
  samples(): Promise<ReviewSample[]>;
  /** Stored records not yet reviewed (with their text), oldest first, optionally of one job or since a time. */
  queue(filter: { jobId?: string; since?: Date; limit: number }): Promise<QueuedRecord[]>;
}

export interface QueuedRecord {
  noteId: string;
  jobId: string;
  processedAt: Date;
  text: string;
  record: ExtractionRecord;
}

export function createPgReviewStore(pool: pg.Pool): ReviewStore {
  return {
    async add(review) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const correction = await client.query<{ id: string }>(
          `INSERT INTO corrections (note_id, text, entities, before, reviewer, source) VALUES ($1, $2, $3, $4, $5, 'review') RETURNING id`,
          [review.noteId, review.text, JSON.stringify(review.after), JSON.stringify(review.before), review.reviewer],
        );
        const correctionId = Number(correction.rows[0]?.id);
        const stored = await client.query<{ id: string; created_at: Date }>(
          'INSERT INTO reviews (note_id, correction_id, reviewer, seconds, changed) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
          [review.noteId, correctionId, review.reviewer, review.seconds, review.changed],
        );
        const record = await client.query('UPDATE records SET reviewed_at = $2 WHERE note_id = $1', [review.noteId, stored.rows[0]?.created_at]);
        await client.query('COMMIT');
        return { reviewId: Number(stored.rows[0]?.id), correctionId, recordReviewed: (record.rowCount ?? 0) > 0, createdAt: stored.rows[0]?.created_at as Date };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async samples() {
      const { rows } = await pool.query<{ before: OffsetEntity[] | null; entities: OffsetEntity[]; seconds: number; changed: boolean }>(
        'SELECT c.before, c.entities, r.seconds, r.changed FROM reviews r JOIN corrections c ON c.id = r.correction_id ORDER BY r.id',
      );
      return rows.map((r) => ({ before: r.before ?? [], after: r.entities, seconds: r.seconds, changed: r.changed }));
    },
    async queue({ jobId, since, limit }) {
      const { rows } = await pool.query<{ note_id: string; job_id: string; processed_at: Date; text: string; record: ExtractionRecord }>(
        `SELECT note_id, job_id, processed_at, text, record FROM records
         WHERE reviewed_at IS NULL AND text IS NOT NULL AND ($1::uuid IS NULL OR job_id = $1) AND ($2::timestamptz IS NULL OR processed_at >= $2)
         ORDER BY processed_at, note_id LIMIT $3`,
        [jobId ?? null, since ?? null, limit],
      );
      return rows.map((r) => ({ noteId: r.note_id, jobId: r.job_id, processedAt: r.processed_at, text: r.text, record: r.record }));
    },
  };
}
