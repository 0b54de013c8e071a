import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { isRejected, readNoteMessage } from '../../src/ingest/note-message.js';

/** How the AMQP bridge reads a message body: a note with its metadata, or a code and a reason that never quotes the note. */
const MAX = 50;
const SECRET = 'zebracillin';

describe('readNoteMessage', () => {
  it('reads {id, text} from bytes, a string or an already parsed body, keeping the other fields as metadata', () => {
    const note = { id: 'rx-1', text: `Dx: typhoid. Rx: ${SECRET}`, ward: 3, patient: { age: 40 } };
    const expected = { id: 'rx-1', text: note.text, metadata: { ward: 3, patient: { age: 40 } } };
    expect(readNoteMessage(Buffer.from(JSON.stringify(note)), MAX)).toEqual(expected);
    expect(readNoteMessage(JSON.stringify(note), MAX)).toEqual(expected);
    expect(readNoteMessage(note, MAX)).toEqual(expected);
    // A numeric id is stored as its string (as in bulk jobs); empty text is a note with no entities.
    expect(readNoteMessage({ id: 42, text: '' }, MAX)).toEqual({ id: '42', text: '', metadata: {} });
    expect(readNoteMessage({ id: 'x', text: 'a'.repeat(MAX) }, MAX)).toMatchObject({ id: 'x' });
  });

  const cases: [string, unknown, keyof typeof ERROR_CATALOGUE][] = [
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'NER_ERR_INGEST_MALFORMED_JSON'],
    ['not JSON', Buffer.from(`{"id": "1", "text": "${SECRET}`), 'NER_ERR_INGEST_MALFORMED_JSON'],
    ['a JSON array', Buffer.from(`[{"id": "1", "text": "${SECRET}"}]`), 'NER_ERR_INGEST_MALFORMED_JSON'],
    ['a JSON string', `"${SECRET}"`, 'NER_ERR_INGEST_MALFORMED_JSON'],
    ['JSON null', null, 'NER_ERR_INGEST_MALFORMED_JSON'],
    ['no id', { text: SECRET }, 'NER_ERR_INGEST_BAD_ID'],
    ['an empty id', { id: '', text: SECRET }, 'NER_ERR_INGEST_BAD_ID'],
    ['an object id', { id: { value: 1 }, text: SECRET }, 'NER_ERR_INGEST_BAD_ID'],
    ['an id over 256 characters', { id: 'i'.repeat(257), text: SECRET }, 'NER_ERR_INGEST_BAD_ID'],
    ['an id with NUL', { id: 'a\u0000b', text: SECRET }, 'NER_ERR_INGEST_UNSTORABLE_TEXT'],
    ['no text', { id: 'n1' }, 'NER_ERR_INGEST_BAD_TEXT'],
    ['a numeric text', { id: 'n1', text: 12 }, 'NER_ERR_INGEST_BAD_TEXT'],
    ['text over MAX_NOTE_CHARS', { id: 'n1', text: `${SECRET} `.repeat(6) }, 'NER_ERR_INGEST_NOTE_TOO_LONG'],
    ['text with NUL', { id: 'n1', text: `${SECRET}\u0000` }, 'NER_ERR_INGEST_UNSTORABLE_TEXT'],
    ['text with an unpaired surrogate', { id: 'n1', text: `${SECRET}\ud800!` }, 'NER_ERR_INGEST_UNSTORABLE_TEXT'],
  ];
  it.each(cases)('%s: rejected with its code and a reason that does not quote the note', (_what, body, code) => {
    const read = readNoteMessage(body, MAX);
    expect(isRejected(read)).toBe(true);
    if (!isRejected(read)) return;
    expect(read.code).toBe(code);
    expect(read.reason).not.toContain(SECRET);
    expect(read.reason.length).toBeGreaterThan(10);
  });

  it('names the limit when the text is too long, and the offset of an unstorable character', () => {
    expect(readNoteMessage({ id: 'n1', text: 'a'.repeat(MAX + 1) }, MAX)).toMatchObject({ reason: expect.stringContaining(`${MAX + 1} characters, over the limit of ${MAX}`) });
    expect(readNoteMessage({ id: 'n1', text: 'abc\u0000' }, MAX)).toMatchObject({ reason: expect.stringContaining('offset 3') });
  });
});
