import type pg from 'pg';

const DAY_MS = 24 * 3600 * 1000;
const PER_STATEMENT = 5_000;

/**
 * RECORD_TEXT_RETENTION_DAYS: the note texts of records processed more than `days` ago are set to null
 * (the record, its entities and pairs stay; the note leaves the review queue, which needs the text).
 * In statements of a few thousand rows, so a first purge of a large table holds no long lock. Returns the
 * number of texts purged.
 */
export async function purgeRecordTexts(pool: pg.Pool, days: number, now: Date = new Date()): Promise<number> {
  if (!(days > 0)) return 0;
  const before = new Date(now.getTime() - days * DAY_MS);
  let purged = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `WITH expired AS (SELECT note_id FROM records WHERE text IS NOT NULL AND processed_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE records r SET text = NULL FROM expired e WHERE r.note_id = e.note_id`,
      [before, PER_STATEMENT],
    );
    purged += rowCount ?? 0;
    if ((rowCount ?? 0) < PER_STATEMENT) return purged;
  }
}
