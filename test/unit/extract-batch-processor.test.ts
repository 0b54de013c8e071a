import { describe, expect, it } from 'vitest';
import { createExtractor } from '../../src/extractor.js';
import { parseNdjsonNotes } from '../../src/http/routes/job-routes.js';
import { checkNote, processExtractBatch } from '../../src/queue/extract-batch-processor.js';
import { storeError } from '../../src/queue/job-service.js';
import type { BatchResult, RecordStore } from '../../src/store/record-store.js';
import { isNerError } from '../../src/errors.js';
import { dictionaryTagger } from '../helpers/test-app.js';

function recordingStore(): { store: RecordStore; batches: BatchResult[] } {
  const batches: BatchResult[] = [];
  const unused = () => Promise.reject(new Error('not used here'));
  return {
    batches,
    store: {
      saveBatch: async (batch) => void batches.push(batch),
      createSubmission: unused, deleteSubmission: unused, progress: unused, findRecords: unused, treatmentsForDisease: unused,
      // eslint-disable-next-line require-yield
      jobRecords: async function* () { throw new Error('not used here'); },
    },
  };
}

describe('processExtractBatch', () => {
  it('extracts every good note, records each bad one with its reason, and writes them together once', async () => {
    const { store, batches } = recordingStore();
    const notes = [
      { id: 'a', text: 'Asthma treated with azithromycin.' },
      { id: 'b', text: 42 },
      { id: 7, text: 'Typhoid.' },
      { id: 'c', text: 'x'.repeat(101) },
      { id: '', text: 'no id' },
      { text: 'no id at all' },
      null,
    ];
    const result = await processExtractBatch({ jobId: 'j', batch: 3, notes: notes as never }, { extractor: createExtractor(dictionaryTagger), store, maxNoteChars: 100, now: () => new Date(0) });
    expect(result).toMatchObject({ done: 2, failed: 5 });
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch?.records.map((r) => r.noteId)).toEqual(['a', '7']);
    expect(batch?.records[0]?.pairs).toEqual([{ disease: 'Asthma', treatment: 'azithromycin' }]);
    expect(batch?.failures).toEqual([
      { noteId: 'b', reason: 'text must be a string, got number' },
      { noteId: 'c', reason: 'text is 101 characters, over the limit of 100 (MAX_NOTE_CHARS)' },
      { noteId: '(batch 3, note 5)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 3, note 6)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 3, note 7)', reason: expect.stringMatching(/^id must be/) },
    ]);
    expect(batch?.processedAt).toEqual(new Date(0));
  });

  it('lets a store error through, so that BullMQ retries the batch', async () => {
    const { store } = recordingStore();
    store.saveBatch = () => Promise.reject(new Error('connection refused'));
    await expect(processExtractBatch({ jobId: 'j', batch: 0, notes: [{ id: 'a', text: 'x' }] }, { extractor: createExtractor(dictionaryTagger), store, maxNoteChars: 10 })).rejects.toThrow('connection refused');
  });
});

describe('checkNote', () => {
  it('never quotes the text in a reason', () => {
    const result = checkNote({ id: 'n', text: 'Mrs Quokka '.repeat(20) }, 10);
    expect('problem' in result && result.problem).not.toMatch(/Quokka/);
  });
});

describe('parseNdjsonNotes', () => {
  it('reads one note per line, skipping blank lines', () => {
    expect(parseNdjsonNotes('{"id":"1","text":"a"}\n\n{"id":"2","text":"b"}\r\n')).toEqual({ notes: [{ id: '1', text: 'a' }, { id: '2', text: 'b' }] });
  });

  it('names the bad line without quoting it', () => {
    try {
      parseNdjsonNotes('{"id":"1","text":"a"}\n{"id":"2","text":"Mrs Quokka');
      expect.unreachable();
    } catch (error) {
      expect(isNerError(error, 'NER_ERR_HTTP_MALFORMED_JSON')).toBe(true);
      expect((error as Error).message).toBe('line 2 of the NDJSON body is not valid JSON');
    }
  });
});

describe('storeError', () => {
  it('turns connection failures and missing tables into NER_ERR_STORE_UNAVAILABLE, and leaves SQL and program errors alone', () => {
    const url = 'postgres://u:secret@db:5432/x';
    const code = (error: unknown) => (isNerError(error) ? error.code : 'other');
    expect(code(storeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), url))).toBe('NER_ERR_STORE_UNAVAILABLE');
    expect(code(storeError(new Error('timeout exceeded when trying to connect'), url))).toBe('NER_ERR_STORE_UNAVAILABLE');
    expect(code(storeError(Object.assign(new Error('terminating connection'), { code: '57P01' }), url))).toBe('NER_ERR_STORE_UNAVAILABLE');
    const missing = storeError(Object.assign(new Error('relation "records" does not exist'), { code: '42P01' }), url);
    expect((missing as Error).message).toMatch(/db migrate/);
    expect(code(storeError(Object.assign(new Error('syntax error'), { code: '42601' }), url))).toBe('other');
    expect(code(storeError(new TypeError('x is undefined'), url))).toBe('other');
    expect((storeError(new Error('down'), url) as Error).message).not.toContain('secret');
  });
});
