import type { Extractor } from '../extractor.js';
import type { ExtractionRecord } from '../core/text/types.js';
import type { NoteFailure, RecordStore } from '../store/record-store.js';
import { describeUnstorable, findUnstorable } from '../core/text/storable-text.js';
import type { ExtractBatchData, ExtractBatchResult, SubmittedNote } from './queues.js';
import { checkNoteId, storedNoteKey } from './submitted-note.js';

export interface ExtractBatchDeps {
  extractor: Extractor;
  store: RecordStore;
  maxNoteChars: number;
  now?: () => Date;
}

/**
 * The note's id as stored, or why the note cannot be processed: a bad id or text, or text PostgreSQL cannot
 * store (NUL, an unpaired surrogate). Reasons never quote the text.
 */
export function checkNote(note: SubmittedNote, maxNoteChars: number): { id: string; text: string } | { problem: string } {
  const { id, text } = note ?? ({} as SubmittedNote);
  const checkedId = checkNoteId(id);
  if ('problem' in checkedId) return checkedId;
  if (typeof text !== 'string') return { problem: `text must be a string, got ${describeType(text)}` };
  if (text.length > maxNoteChars) return { problem: `text is ${text.length} characters, over the limit of ${maxNoteChars} (MAX_NOTE_CHARS)` };
  const unstorable = findUnstorable(text);
  if (unstorable) return { problem: describeUnstorable('text', unstorable) };
  return { id: checkedId.id, text };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * The `extract` queue's processor: every note of a batch extracted, then all of them written in one
 * transaction. A bad note is recorded as a failure with its reason and the rest of the batch goes on (a
 * note the store still refuses fails alone too, see RecordStore.saveBatch); an error writing (PostgreSQL
 * down) throws, so BullMQ retries the whole batch, and the upserts make the retry harmless.
 */
export async function processExtractBatch(data: ExtractBatchData, deps: ExtractBatchDeps): Promise<ExtractBatchResult> {
  const started = performance.now();
  const records: ExtractionRecord[] = [];
  const texts: string[] = [];
  const failures: NoteFailure[] = [];
  // One model version for the whole batch, even if a hot reload swaps the model meanwhile.
  const extractor = deps.extractor.pinned();
  for (const [index, note] of data.notes.entries()) {
    const checked = checkNote(note, deps.maxNoteChars);
    if ('problem' in checked) {
      failures.push({ noteId: storedNoteKey((note as SubmittedNote | undefined)?.id, data.batch, index), reason: checked.problem });
      continue;
    }
    records.push(await extractor.extract(checked.text, checked.id));
    texts.push(checked.text);
  }
  const extracted = performance.now();
  await deps.store.saveBatch({ jobId: data.jobId, records, texts, failures, processedAt: (deps.now ?? (() => new Date()))() });
  const saved = performance.now();
  return { done: records.length, failed: failures.length, extractMs: Math.round(extracted - started), saveMs: Math.round(saved - extracted) };
}
