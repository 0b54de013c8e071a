import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgNightlyRunStore } from '../../src/store/nightly-run-store.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { freshSchema } from '../helpers/services.js';

describe('PostgreSQL nightly run store', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  beforeAll(async () => {
    db = await freshSchema();
  });
  afterAll(() => db.drop());

  it('stores a report naming an inbox note id jsonb cannot hold, with U+FFFD in place of the character', async () => {
    const jobId = randomUUID();
    await createPgRecordStore(db.pool).createSubmission({ jobId, notes: 1, batches: 1, source: 'nightly' });
    const runs = createPgNightlyRunStore(db.pool);
    await runs.start('2026-12-01', jobId, new Date());
    const report = { failures: [{ noteId: 'a\u0000b', file: 'x.jsonl', line: 2, reason: 'note id already seen at x.jsonl:1; this one is skipped' }, { noteId: 'c\ud800' }] };
    await runs.finish('2026-12-01', 'completed', new Date(), report);
    expect((await runs.get('2026-12-01'))?.report).toEqual({ failures: [{ ...report.failures[0], noteId: 'a\ufffdb' }, { noteId: 'c\ufffd' }] });
  });
});
