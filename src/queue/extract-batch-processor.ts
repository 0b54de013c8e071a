import type { Extractor } from '../extractor.js';
import type { ExtractionRecord } from '../core/types.js';
import type { NoteFailure, RecordStore } from '../store/record-store.js';
import type { ExtractBatchData, ExtractBatchResult, SubmittedNote } from './queues.js';

export interface ExtractBatchDeps {
  extractor: Extractor;
  store: RecordStore;
  maxNoteChars: number;
  now?: () => Date;
}

const MAX_NOTE_ID_CHARS = 256;

/** The note's id as stored, or why the note cannot be processed. Reasons never quote the text. */
export function checkNote(note: SubmittedNote, maxNoteChars: number): { id: string; text: string } | { problem: string } {
  const { id, text } = note ?? ({} as SubmittedNote);
  if (!((typeof id === 'string' && id !== '' && id.length <= MAX_NOTE_ID_CHARS) || (typeof id === 'number' && Number.isFinite(id)))) {
    return { problem: `id must be a non-empty string (at most ${MAX_NOTE_ID_CHARS} characters) or a number` };
  }
  if (typeof text !== 'string') return { problem: `text must be a string, got ${text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text}` };
  if (text.length > maxNoteChars) return { problem: `text is ${text.length} characters, over the limit of ${maxNoteChars} (MAX_NOTE_CHARS)` };
  return { id: String(id), text };
}

/**
 * The `extract` queue's processor: every note of a batch extracted, then all of them written in one
 * transaction. A bad note is recorded as a failure with its reason and the rest of the batch goes on; an
 * error writing (PostgreSQL down) throws, so BullMQ retries the whole batch, and the upserts make the
 * retry harmless.
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
      const id = (note as SubmittedNote | undefined)?.id;
      const noteId = typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, MAX_NOTE_ID_CHARS) : '';
      failures.push({ noteId: noteId || `(batch ${data.batch}, note ${index + 1})`, reason: checked.problem });
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
