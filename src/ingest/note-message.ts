import type { ErrorCode } from '../errors.js';
import { describeUnstorable, findUnstorable } from '../core/text/storable-text.js';
import { MAX_NOTE_ID_CHARS, checkNoteId } from '../queue/submitted-note.js';

/** A note read from a broker message: its id as stored, its text, and the message's other fields. */
export interface IngestNote {
  id: string;
  text: string;
  /** Every field of the message but id and text, kept as the publisher sent them. */
  metadata: Record<string, unknown>;
}

/** Why a message cannot be processed: a stable code and a reason that never quotes the note. */
export interface RejectedMessage {
  code: ErrorCode;
  reason: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A broker message's body as a note, or why it is not one. The body is the raw bytes, a string, or the value
 * the AMQP client already parsed (it parses `application/json` bodies itself, and hands back the bytes when
 * they are not JSON). The checks are the bulk jobs' (an id of at most MAX_NOTE_ID_CHARS, a string text of at
 * most maxNoteChars, nothing PostgreSQL cannot store), each with its own error code.
 */
export function readNoteMessage(body: unknown, maxNoteChars: number): IngestNote | RejectedMessage {
  let value: unknown = body;
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    let json: string;
    try {
      json = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      return { code: 'NER_ERR_INGEST_MALFORMED_JSON', reason: 'the body is not UTF-8' };
    }
    try {
      value = JSON.parse(json);
    } catch {
      return { code: 'NER_ERR_INGEST_MALFORMED_JSON', reason: `the body is not JSON (${json.length} characters)` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { code: 'NER_ERR_INGEST_MALFORMED_JSON', reason: `the body is JSON ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not an object {"id", "text"}` };
  }
  const { id, text, ...metadata } = value as Record<string, unknown>;
  const checkedId = checkNoteId(id);
  if ('problem' in checkedId) {
    const unstorable = typeof id === 'string' && id.length <= MAX_NOTE_ID_CHARS && findUnstorable(id) !== null;
    return { code: unstorable ? 'NER_ERR_INGEST_UNSTORABLE_TEXT' : 'NER_ERR_INGEST_BAD_ID', reason: id === undefined ? 'the message has no id' : checkedId.problem };
  }
  if (typeof text !== 'string') {
    return { code: 'NER_ERR_INGEST_BAD_TEXT', reason: text === undefined ? 'the message has no text' : `text must be a string, got ${text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text}` };
  }
  if (text.length > maxNoteChars) {
    return { code: 'NER_ERR_INGEST_NOTE_TOO_LONG', reason: `text is ${text.length} characters, over the limit of ${maxNoteChars} (MAX_NOTE_CHARS)` };
  }
  const unstorable = findUnstorable(text);
  if (unstorable) return { code: 'NER_ERR_INGEST_UNSTORABLE_TEXT', reason: describeUnstorable('text', unstorable) };
  return { id: checkedId.id, text, metadata };
}

export function isRejected(read: IngestNote | RejectedMessage): read is RejectedMessage {
  return 'code' in read;
}
