import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { describeError, serializeErrorSafely, withSafeMessage } from '../../src/error-description.js';
import { NerError } from '../../src/errors.js';

const SECRET = 'ZEBRA-7731-Jane-Roe';

/** What pg's DatabaseError carries for a refused value (fields as pg sets them). */
function databaseError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR', detail: `Token "${SECRET}" is invalid.`, where: `JSON data, line 1: {"text": "${SECRET}` });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('describeError: what went wrong, never the data that caused it', () => {
  it('keeps the words of a PostgreSQL data exception and drops the value it quotes', () => {
    expect(describeError(databaseError('22P02', `invalid input syntax for type integer: "${SECRET}"`))).toBe('PostgreSQL error 22P02: invalid input syntax for type integer');
    expect(describeError(databaseError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toBe('PostgreSQL error 22021: invalid byte sequence for encoding');
    expect(describeError(databaseError('42P01', 'relation "records" does not exist'))).toBe('PostgreSQL error 42P01: relation "records" does not exist');
  });

  it("rewords csv-parse's and JSON.parse's messages, which quote their input", () => {
    const csv = thrown(() => parse(`id,text\n1,ab"${SECRET}\n`, { columns: true }));
    expect(describeError(csv)).toBe('not a readable CSV file (INVALID_OPENING_QUOTE at line 2)');
    expect(describeError(thrown(() => JSON.parse(`${SECRET}`)))).toBe('not valid JSON');
    expect(describeError(thrown(() => JSON.parse(`{"a": "${SECRET}" x}`)))).toBe('not valid JSON (at offset 28)');
  });

  it('passes the catalogue errors and other errors on as they are', () => {
    expect(describeError(new NerError('NER_ERR_INPUT_INVALID', 'line 3 is bad'))).toBe('line 3 is bad');
    expect(describeError(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeError('plain')).toBe('plain');
  });

  it('serializes an error for the log without the fields that quote data, its stack frames kept', () => {
    const serialized = serializeErrorSafely(databaseError('22P02', `invalid input syntax for type json: "${SECRET}"`));
    expect(serialized).toMatchObject({ type: 'Error', code: '22P02', message: 'PostgreSQL error 22P02: invalid input syntax for type json' });
    expect(serialized.stack).toMatch(/^Error: PostgreSQL error 22P02: invalid input syntax for type json\n\s+at /);
    expect(JSON.stringify(serialized)).not.toContain(SECRET.slice(0, 5));
  });

  it('gives an error BullMQ may keep (failed reason and stack trace) a message that quotes nothing', () => {
    const safe = withSafeMessage(databaseError('22P02', `invalid input syntax for type integer: "${SECRET}"`));
    expect(safe.message).toBe('PostgreSQL error 22P02: invalid input syntax for type integer');
    expect(`${safe.stack}`).not.toContain(SECRET.slice(0, 5));
    const own = new NerError('NER_ERR_STORE_UNAVAILABLE', 'down');
    expect(withSafeMessage(own)).toBe(own);
  });
});
