import { describe, expect, it } from 'vitest';
import { createExtractor } from '../../src/extractor.js';
import { parseNdjsonNotes } from '../../src/http/routes/job-routes.js';
import { checkNote, processExtractBatch } from '../../src/queue/extract-batch-processor.js';
import { assertUniqueNoteIds, createJobService, storeError } from '../../src/queue/job-service.js';
import { flattenNote, storedNoteKey } from '../../src/queue/submitted-note.js';
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
      createSubmission: unused, deleteSubmission: unused, progress: unused, findRecords: unused, treatmentsForDisease: unused, diseasesByCode: unused,
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
    expect(batch?.records[0]?.pairs).toEqual([{ disease: 'Asthma', treatment: 'azithromycin', evidence: 'explicit-link' }]);
    expect(batch?.failures).toEqual([
      { noteId: 'b', reason: 'text must be a string, got number' },
      { noteId: 'c', reason: 'text is 101 characters, over the limit of 100 (MAX_NOTE_CHARS)' },
      { noteId: '(batch 3, note 5)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 3, note 6)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 3, note 7)', reason: expect.stringMatching(/^id must be/) },
    ]);
    expect(batch?.processedAt).toEqual(new Date(0));
  });

  it('fails alone a note whose text or id PostgreSQL cannot store, naming the problem and its offset', async () => {
    const { store, batches } = recordingStore();
    const notes = [
      { id: 'nul-1', text: 'asthma\u0000' },
      { id: 'ok-1', text: 'Asthma treated with azithromycin.' },
      { id: 'half-1', text: 'typhoid \ud83d treated' },
      { id: 'id\u0000nul', text: 'Typhoid.' },
      { id: 'id\udfffhalf', text: 'Typhoid.' },
      { id: 'pair-😀', text: 'Typhoid 😀 treated with azithromycin.' },
    ];
    await processExtractBatch({ jobId: 'j', batch: 0, notes }, { extractor: createExtractor(dictionaryTagger), store, maxNoteChars: 100 });
    const [batch] = batches;
    expect(batch?.records.map((r) => r.noteId)).toEqual(['ok-1', 'pair-😀']);
    expect(batch?.failures).toEqual([
      { noteId: 'nul-1', reason: 'text has a NUL character (U+0000) at offset 6, which cannot be stored' },
      { noteId: 'half-1', reason: 'text has an unpaired UTF-16 surrogate at offset 8, which cannot be stored' },
      { noteId: '(batch 0, note 4)', reason: 'id has a NUL character (U+0000) at offset 2, which cannot be stored' },
      { noteId: '(batch 0, note 5)', reason: 'id has an unpaired UTF-16 surrogate at offset 2, which cannot be stored' },
    ]);
  });

  it('turns the flat markers a submission leaves of nested values into the same reasons', async () => {
    let deep: unknown = 'asthma';
    for (let i = 0; i < 10_000; i++) deep = { nested: deep };
    const submitted = [{ id: 'deep', text: deep }, { id: 'list', text: [[['x']]] }, { id: { deep }, text: 'Asthma.' }, [deep], 'just text'];
    const flat = submitted.map(flattenNote);
    expect(JSON.parse(JSON.stringify(flat))).toEqual([{ id: 'deep', text: {} }, { id: 'list', text: [] }, { id: {}, text: 'Asthma.' }, {}, {}]);
    const { store, batches } = recordingStore();
    await processExtractBatch({ jobId: 'j', batch: 2, notes: JSON.parse(JSON.stringify(flat)) }, { extractor: createExtractor(dictionaryTagger), store, maxNoteChars: 100 });
    expect(batches[0]?.failures).toEqual([
      { noteId: 'deep', reason: 'text must be a string, got an object' },
      { noteId: 'list', reason: 'text must be a string, got an array' },
      { noteId: '(batch 2, note 3)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 2, note 4)', reason: expect.stringMatching(/^id must be/) },
      { noteId: '(batch 2, note 5)', reason: expect.stringMatching(/^id must be/) },
    ]);
    // The same reasons as for the values themselves.
    expect(checkNote({ id: 'deep', text: deep }, 100)).toEqual({ problem: 'text must be a string, got an object' });
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

describe('note ids in a job', () => {
  it('stores a note under its id (1 and "1" alike) or, without a valid one, under its place in the job', () => {
    expect(storedNoteKey(1, 0, 0)).toBe('1');
    expect(storedNoteKey('1', 0, 0)).toBe('1');
    expect(storedNoteKey('', 3, 6)).toBe('(batch 3, note 7)');
    expect(storedNoteKey('x'.repeat(257), 0, 1)).toBe('(batch 0, note 2)');
    expect(storedNoteKey('a\u0000', 1, 0)).toBe('(batch 1, note 1)');
  });

  it('refuses repeated ids with NER_ERR_JOB_DUPLICATE_NOTE_ID, naming the first ones and where they are', () => {
    expect(() => assertUniqueNoteIds([{ id: 'a', text: '' }, { id: 'b', text: '' }, { id: 2, text: '' }], 10)).not.toThrow();
    const notes = [{ id: 'dup-1', text: 'x' }, { id: 'dup-1', text: 'y' }, { id: 1, text: 'z' }, { id: 'ok', text: '' }, { id: '1', text: '' }, { id: 'dup-1', text: '' }];
    try {
      assertUniqueNoteIds(notes, 10);
      expect.unreachable();
    } catch (error) {
      expect(isNerError(error, 'NER_ERR_JOB_DUPLICATE_NOTE_ID')).toBe(true);
      expect((error as Error).message).toBe('note ids must be unique within a job (a job stores one record per id): "dup-1" at notes[0], notes[1], notes[5]; "1" at notes[2], notes[4]');
    }
    // A real id equal to the place of a note without one would share its row too.
    expect(() => assertUniqueNoteIds([{ id: '(batch 0, note 2)', text: '' }, { id: null, text: '' }], 10)).toThrow(/"\(batch 0, note 2\)" at notes\[0\], notes\[1\]/);
    const many = Array.from({ length: 20 }, (_, i) => ({ id: `id-${i % 8}`, text: '' }));
    expect(() => assertUniqueNoteIds(many, 10)).toThrow(/"id-4" at notes\[4\], notes\[12\]; and 3 more repeated ids$/);
  });

  it('submit() refuses a job with repeated ids before touching Redis or PostgreSQL', async () => {
    const untouchable = new Proxy({}, { get: () => { throw new Error('must not be used'); } });
    const jobs = createJobService({ queue: untouchable as never, redis: untouchable as never, store: untouchable as never, batchSize: 100, redisUrl: 'redis://x', databaseUrl: 'postgres://x' });
    await expect(jobs.submit([{ id: 'dup-1', text: 'a' }, { id: 'dup-1', text: 'b' }])).rejects.toMatchObject({ code: 'NER_ERR_JOB_DUPLICATE_NOTE_ID', statusCode: 400 });
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
