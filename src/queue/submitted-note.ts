import { describeUnstorable, findUnstorable } from '../core/text/storable-text.js';
import type { SubmittedNote } from './queues.js';

/**
 * A note of a bulk job between submission and worker. Notes are checked by the workers, so that a bad note
 * fails alone with its reason; what goes onto the queue is only what the check needs.
 */

export const MAX_NOTE_ID_CHARS = 256;

/** The id a note is stored under, or why it has none. Reasons name the problem, never quote the id. */
export function checkNoteId(id: unknown): { id: string } | { problem: string } {
  if (typeof id === 'number' && Number.isFinite(id)) return { id: String(id) };
  if (typeof id !== 'string' || id === '' || id.length > MAX_NOTE_ID_CHARS) {
    return { problem: `id must be a non-empty string (at most ${MAX_NOTE_ID_CHARS} characters) or a number` };
  }
  const unstorable = findUnstorable(id);
  return unstorable ? { problem: describeUnstorable('id', unstorable) } : { id };
}

/**
 * The key a note's record or failure is stored under in its job: its id when valid (`1` and `"1"` are one
 * id), else its place in the job, "(batch 2, note 7)" (note counted from 1 within the batch).
 */
export function storedNoteKey(id: unknown, batch: number, indexInBatch: number): string {
  const checked = checkNoteId(id);
  return 'id' in checked ? checked.id : `(batch ${batch}, note ${indexInBatch + 1})`;
}

/**
 * A submitted value reduced to what the worker's check needs: an id or text of the right type as it is, any
 * other value as an empty shell of its kind ({} for an object, [] for an array), which the check describes
 * the same way. Whatever the request nested, the queue's job data stays flat (BullMQ's serializer recurses).
 */
export function flattenNote(note: unknown): SubmittedNote {
  if (typeof note !== 'object' || note === null || Array.isArray(note)) return { id: undefined, text: undefined };
  const { id, text } = note as Record<string, unknown>;
  // An id over the limit fails whatever follows its first MAX_NOTE_ID_CHARS + 1 characters.
  return { id: typeof id === 'string' && id.length > MAX_NOTE_ID_CHARS ? id.slice(0, MAX_NOTE_ID_CHARS + 1) : flatValue(id), text: flatValue(text) };
}

function flatValue(value: unknown): unknown {
  if (Array.isArray(value)) return [];
  if (typeof value === 'object' && value !== null) return {};
  // What JSON cannot carry (a caller in code may pass it) is as good as absent.
  return typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
}
