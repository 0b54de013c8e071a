import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { ExtractionRecord } from '../../src/core/text/types.js';
import { createPgRecordStore, refusedReason } from '../../src/store/record-store.js';
import { isDataError } from '../../src/store/sql-state.js';

const record = (noteId: string): ExtractionRecord => ({ noteId, modelVersion: 'm1', diseases: [], treatments: [], pairs: [], entities: [] });

/**
 * A pool whose transactions fail with `error` at the INSERT of a record or a failure whose note id is
 * listed in `refused`; it keeps what each committed transaction wrote (note ids and failures).
 */
function fakePool(refused: { records?: readonly string[]; failures?: readonly string[] }, error: () => unknown) {
  const committed: { records: string[]; failures: string[] }[] = [];
  let begun = 0;
  const pool = {
    async connect() {
      let pending = { records: [] as string[], failures: [] as string[] };
      return {
        async query(sql: string, params: unknown[] = []) {
          if (sql === 'BEGIN') {
            begun++;
            pending = { records: [], failures: [] };
          } else if (sql === 'COMMIT') committed.push(pending);
          else if (sql.includes('INSERT INTO records')) {
            const ids = params[0] as string[];
            if (ids.some((id) => refused.records?.includes(id))) throw error();
            pending.records.push(...ids);
            return { rows: ids.map((id) => ({ note_id: id, replaced: false })) };
          } else if (sql.includes('INSERT INTO note_failures')) {
            if ((params[1] as string[]).some((id) => refused.failures?.includes(id))) throw error();
            pending.failures.push(...(params[1] as string[]).map((id, i) => `${id}: ${(params[2] as string[])[i]}`));
          }
          return { rows: [{ added: 1 }] };
        },
        release() {},
      };
    },
  };
  return { pool: pool as unknown as pg.Pool, committed, begun: () => begun };
}

const pgError = (code: string | undefined, message: string) => Object.assign(new Error(message), code === undefined ? {} : { code });
const batch = { jobId: 'j', records: [record('a'), record('poison'), record('b')], texts: ['A.', 'P.', 'B.'], failures: [{ noteId: 'bad', reason: 'text must be a string, got number' }], processedAt: new Date(0) };

describe('saveBatch when PostgreSQL refuses a record', () => {
  it('saves the others one by one and fails the refused one with a fixed reason, never the PostgreSQL message', async () => {
    const { pool, committed } = fakePool({ records: ['poison'] }, () => pgError('22P05', 'unsupported Unicode escape sequence: \\u0000 in "Mrs Quokka"'));
    await createPgRecordStore(pool).saveBatch(batch);
    expect(committed).toEqual([
      { records: ['a'], failures: [] },
      { records: ['b'], failures: [] },
      { records: [], failures: ['bad: text must be a string, got number', 'poison: not stored: PostgreSQL refused the record, a character it cannot store (untranslatable Unicode escape) (SQLSTATE 22P05)'] },
    ]);
    expect(JSON.stringify(committed)).not.toMatch(/Quokka/);
  });

  it('still throws a lost connection, a shutdown or an error without SQLSTATE, for the batch to be retried', async () => {
    for (const error of [pgError('08006', 'connection failure'), pgError('57P01', 'terminating connection due to administrator command'), pgError(undefined, 'Connection terminated unexpectedly')]) {
      const { pool, committed, begun } = fakePool({ records: ['poison'] }, () => error);
      await expect(createPgRecordStore(pool).saveBatch(batch)).rejects.toBe(error);
      expect(committed).toEqual([]);
      expect(begun()).toBe(1);
    }
  });

  it('throws a data error no record explains (a batch of failures only): there is nothing to save apart', async () => {
    const error = pgError('22021', 'invalid byte sequence');
    const { pool, begun } = fakePool({ failures: ['bad'] }, () => error);
    await expect(createPgRecordStore(pool).saveBatch({ ...batch, records: [], texts: [] })).rejects.toBe(error);
    expect(begun()).toBe(1);
  });
});

describe('isDataError and refusedReason', () => {
  it('treats classes 22 and 23 as the data, anything else as the infrastructure', () => {
    expect(['22021', '22P02', '22P05', '22023', '23505', '23503'].map((code) => isDataError(pgError(code, '')))).toEqual([true, true, true, true, true, true]);
    expect(['08006', '57P01', '53300', '40001', 'XX000', '42P01'].map((code) => isDataError(pgError(code, '')))).toEqual([false, false, false, false, false, false]);
    expect(isDataError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDataError(pgError('ECONNREFUSED', ''))).toBe(false);
    expect(refusedReason(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe('not stored: PostgreSQL refused the record, a character it cannot store (invalid byte sequence) (SQLSTATE 22021)');
    expect(refusedReason(pgError('22012', 'division by zero near "secret"'))).toBe('not stored: PostgreSQL refused the record, a data error (SQLSTATE 22012)');
  });
});
