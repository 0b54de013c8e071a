import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { purgeRecordTexts } from '../../src/store/text-retention.js';
import { freshSchema } from '../helpers/services.js';

const DAY = 24 * 3600 * 1000;
const NOW = new Date('2026-06-30T12:00:00Z');

/**
 * RECORD_TEXT_RETENTION_DAYS against the real PostgreSQL: the note texts of records processed more than
 * N days ago become null, their records (entities, pairs) stay; 0 keeps every text.
 */
describe('purgeRecordTexts', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    db = await freshSchema();
    const jobId = randomUUID();
    await db.pool.query("INSERT INTO submissions (id, notes, batches, source) VALUES ($1, 12000, 1, 'api')", [jobId]);
    // 11,000 old records (more than one purge statement handles) and 1,000 recent ones.
    await db.pool.query(
      `INSERT INTO records (note_id, job_id, model_version, processed_at, record, text)
       SELECT 'r' || i, $1, 'm1', $2::timestamptz - (CASE WHEN i <= 11000 THEN 40 ELSE 10 END) * interval '1 day', '{"entities": []}', 'note text ' || i
       FROM generate_series(1, 12000) AS i`,
      [jobId, NOW],
    );
  });
  afterAll(() => db.drop());

  const textsLeft = async () => (await db.pool.query<{ old: number; recent: number; records: number }>(
    `SELECT count(*) FILTER (WHERE text IS NOT NULL AND processed_at < $1)::int AS old,
            count(*) FILTER (WHERE text IS NOT NULL AND processed_at >= $1)::int AS recent, count(*)::int AS records FROM records`,
    [new Date(NOW.getTime() - 30 * DAY)],
  )).rows[0];

  it('keeps every text at 0 days', async () => {
    expect(await purgeRecordTexts(db.pool, 0, NOW)).toBe(0);
    expect(await textsLeft()).toEqual({ old: 11_000, recent: 1_000, records: 12_000 });
  });

  it('nulls the texts of records older than the retention, keeping the records and the recent texts', async () => {
    expect(await purgeRecordTexts(db.pool, 30, NOW)).toBe(11_000);
    expect(await textsLeft()).toEqual({ old: 0, recent: 1_000, records: 12_000 });
    expect(await purgeRecordTexts(db.pool, 30, NOW)).toBe(0);
  });

  it('is what `behealthy db purge --days N` runs', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/bin.ts'), 'db', 'purge', '--days', '5'], {
      env: { ...process.env, DATABASE_SCHEMA: db.schema },
    });
    expect(JSON.parse(stdout)).toMatchObject({ schema: db.schema, days: 5, recordTextsPurged: 1_000 });
    expect(await textsLeft()).toEqual({ old: 0, recent: 0, records: 12_000 });
  });
});
