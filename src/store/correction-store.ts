import type pg from 'pg';
import type { OffsetEntity } from '../core/text/annotated-sentences.js';

/** A reviewer's correction of a note: the entities it should have, and (when known) what the model found. */
export interface Correction {
  noteId: string;
  text: string;
  entities: OffsetEntity[];
  before?: OffsetEntity[] | null;
  reviewer: string;
  source: 'review' | 'import';
}

export interface StoredCorrection extends Correction {
  id: number;
  createdAt: Date;
}

/** Reviewers' corrections in PostgreSQL (table corrections): written by the review routes and imports, read by retraining. */
export interface CorrectionStore {
  /** All or none, in one transaction. */
  add(corrections: readonly Correction[]): Promise<number>;
  /** The latest correction of every note, oldest first (the training data of a retraining). */
  latestPerNote(): Promise<StoredCorrection[]>;
  /** Corrections stored after a time (all when since is null): what triggers a retraining. */
  countSince(since: Date | null): Promise<number>;
}

interface Row {
  id: string;
  note_id: string;
  text: string;
  entities: OffsetEntity[];
  before: OffsetEntity[] | null;
  reviewer: string;
  source: Correction['source'];
  created_at: Date;
}

export function createPgCorrectionStore(pool: pg.Pool): CorrectionStore {
  return {
    async add(corrections) {
      if (corrections.length === 0) return 0;
      const column = <T>(pick: (c: Correction) => T) => corrections.map(pick);
      await pool.query(
        `INSERT INTO corrections (note_id, text, entities, before, reviewer, source)
         SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[], $6::text[])`,
        [
          column((c) => c.noteId), column((c) => c.text), column((c) => JSON.stringify(c.entities)),
          column((c) => (c.before ? JSON.stringify(c.before) : null)), column((c) => c.reviewer), column((c) => c.source),
        ],
      );
      return corrections.length;
    },
    async latestPerNote() {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM (SELECT DISTINCT ON (note_id) * FROM corrections ORDER BY note_id, created_at DESC, id DESC) latest ORDER BY created_at, id`,
      );
      return rows.map((r) => ({
        id: Number(r.id), noteId: r.note_id, text: r.text, entities: r.entities, before: r.before, reviewer: r.reviewer, source: r.source, createdAt: r.created_at,
      }));
    },
    async countSince(since) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM corrections WHERE $1::timestamptz IS NULL OR created_at > $1', [since]);
      return rows[0]?.n ?? 0;
    },
  };
}
