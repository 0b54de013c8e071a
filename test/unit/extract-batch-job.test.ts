import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createExtractor } from '../../src/extractor.js';
import { runExtractBatchJob } from '../../src/queue/extract-batch-job.js';
import { dropNoteTexts, extractRetentionOptions, type ExtractBatchData, type ExtractBatchResult } from '../../src/queue/queues.js';
import type { BatchResult, RecordStore } from '../../src/store/record-store.js';
import { dictionaryTagger } from '../helpers/test-app.js';

const SECRET = 'ZEBRA-7731-Jane-Roe';

/** A job as BullMQ hands it to the processor: its data, and updateData writing it back (here, to `saved`). */
function fakeJob(data: ExtractBatchData): { job: Job<ExtractBatchData, ExtractBatchResult>; saved: ExtractBatchData[] } {
  const saved: ExtractBatchData[] = [];
  const job = { data, updateData: async (next: ExtractBatchData) => void saved.push(JSON.parse(JSON.stringify(next)) as ExtractBatchData) };
  return { job: job as unknown as Job<ExtractBatchData, ExtractBatchResult>, saved };
}

function store(saveBatch: RecordStore['saveBatch']): RecordStore {
  return { saveBatch } as unknown as RecordStore;
}

const batch = (): ExtractBatchData => ({ jobId: 'j', batch: 0, notes: [{ id: 'a', text: `Asthma. ${SECRET}` }, { id: 7, text: 'Typhoid.' }] });
const deps = (saveBatch: RecordStore['saveBatch']) => ({ extractor: createExtractor(dictionaryTagger), store: store(saveBatch), maxNoteChars: 1_000 });

describe('runExtractBatchJob: note texts leave Redis once their records are committed', () => {
  it('drops the texts from the job after the commit, keeping the ids', async () => {
    const saves: BatchResult[] = [];
    const { job, saved } = fakeJob(batch());
    const result = await runExtractBatchJob(job, deps(async (b) => void saves.push(b)));
    expect(result).toMatchObject({ done: 2, failed: 0 });
    expect(saves).toHaveLength(1);
    expect(saved).toEqual([{ jobId: 'j', batch: 0, notes: [{ id: 'a' }, { id: 7 }], textsDropped: true }]);
    expect(JSON.stringify(saved)).not.toContain(SECRET);
  });

  it('keeps the texts when the commit fails, so that the retry has them, and throws a message that quotes nothing', async () => {
    const { job, saved } = fakeJob(batch());
    const refused = Object.assign(new Error(`invalid input syntax for type json: "${SECRET}"`), { code: '22P02', severity: 'ERROR' });
    await expect(runExtractBatchJob(job, deps(() => Promise.reject(refused)))).rejects.toThrow(/^PostgreSQL error 22P02: invalid input syntax for type json$/);
    expect(saved).toEqual([]);
    expect(job.data.notes[0]?.text).toContain(SECRET);
  });

  it('does nothing for a job seen again after its texts were dropped: it was committed already', async () => {
    const { job, saved } = fakeJob(dropNoteTexts(batch()));
    const result = await runExtractBatchJob(job, deps(() => Promise.reject(new Error('must not be called'))));
    expect(result).toEqual({ done: 0, failed: 0, extractMs: 0, saveMs: 0 });
    expect(saved).toEqual([]);
  });

  it('turns the configured ages into BullMQ options (0 s: a completed job is removed at once)', () => {
    expect(extractRetentionOptions({ queueKeepCompletedSeconds: 3600, queueKeepFailedSeconds: 60 })).toEqual({ removeOnComplete: { age: 3600, count: 100_000 }, removeOnFail: { age: 60 } });
    expect(extractRetentionOptions({ queueKeepCompletedSeconds: 0, queueKeepFailedSeconds: 60 }).removeOnComplete).toBe(true);
  });
});
