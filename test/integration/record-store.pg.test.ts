import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtractionRecord } from '../../src/core/text/types.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { createPgRecordStore, type RecordStore } from '../../src/store/record-store.js';
import { freshSchema } from '../helpers/services.js';

function record(noteId: string, diseases: string[], treatments: string[]): ExtractionRecord {
  let offset = 0;
  const entity = (type: 'disease' | 'treatment', text: string) => ({ type, text, start: offset, end: (offset += text.length + 1) - 1, assertion: 'present' as const, confidence: 0.9 });
  const d = diseases.map((t) => entity('disease', t));
  const t = treatments.map((x) => entity('treatment', x));
  return { noteId, modelVersion: 'm1', diseases: d, treatments: t, entities: [...d, ...t], pairs: d.flatMap((x) => t.map((y) => ({ disease: x.text, treatment: y.text }))) };
}

describe('PostgreSQL record store', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let store: RecordStore;
  beforeAll(async () => {
    db = await freshSchema();
    store = createPgRecordStore(db.pool);
  });
  afterAll(() => db.drop());

  it('migrates once: a second run applies nothing', async () => {
    expect(await migrate(db.pool, db.schema)).toEqual([]);
  });

  it('upserts by note id: a re-submitted note replaces its record, entities and pairs', async () => {
    const first = randomUUID();
    const second = randomUUID();
    await store.createSubmission({ jobId: first, notes: 2, batches: 1, source: 'api' });
    await store.createSubmission({ jobId: second, notes: 1, batches: 1, source: 'api' });
    await store.saveBatch({ jobId: first, records: [record('u1', ['asthma'], ['salbutamol']), record('u2', ['gout'], [])], failures: [], processedAt: new Date() });
    await store.saveBatch({ jobId: second, records: [record('u1', ['copd'], ['tiotropium'])], failures: [], processedAt: new Date() });
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM records WHERE note_id = 'u1'");
    expect(rows[0].n).toBe(1);
    const entities = await db.pool.query("SELECT text FROM entities WHERE note_id = 'u1' ORDER BY text");
    expect(entities.rows.map((r) => r.text)).toEqual(['copd', 'tiotropium']);
    expect(await store.treatmentsForDisease('asthma', 10)).toEqual([]);
    expect(await store.treatmentsForDisease('COPD', 10)).toEqual([{ treatment: 'tiotropium', notes: 1, pairs: 1 }]);
  });

  it('keeps the later of two notes with the same id in one batch', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 2, batches: 1, source: 'api' });
    await store.saveBatch({ jobId, records: [record('dup', ['flu'], []), record('dup', ['measles'], [])], failures: [], processedAt: new Date() });
    const [stored] = await store.findRecords({ disease: 'measles', limit: 10 });
    expect(stored?.record.noteId).toBe('dup');
  });

  it('reports progress, failures and timings; a retried batch counts once', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 4, batches: 2, source: 'api' });
    expect(await store.progress(jobId, 10)).toMatchObject({ notes: 4, done: 0, failed: 0, firstProcessedAt: null });
    const batch = { jobId, records: [record('p1', [], []), record('p2', [], [])], failures: [{ noteId: 'p3', reason: 'text must be a string, got number' }], processedAt: new Date() };
    await store.saveBatch(batch);
    await store.saveBatch(batch);
    const progress = await store.progress(jobId, 10);
    expect(progress).toMatchObject({ notes: 4, batches: 2, done: 2, failed: 1, failures: [{ noteId: 'p3', reason: 'text must be a string, got number' }] });
    expect(progress?.firstProcessedAt).toBeInstanceOf(Date);
    expect(await store.progress(randomUUID(), 10)).toBeNull();
  });

  it('counts each note once when batches of one job commit concurrently', async () => {
    const jobId = randomUUID();
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
    await store.createSubmission({ jobId, notes: ids.length, batches: 4, source: 'api' });
    const batches = [0, 1, 2, 3].map((b) => ({ jobId, records: ids.slice(b * 10, b * 10 + 10).map((id) => record(id, [], [])), failures: [], processedAt: new Date(Date.UTC(2026, 0, 1 + b)) }));
    // Every batch twice, all at once: a retried batch must not count its notes again.
    await Promise.all([...batches, ...batches].map((batch) => store.saveBatch(batch)));
    expect(await store.progress(jobId, 10)).toMatchObject({
      done: 40, failed: 0, firstProcessedAt: new Date(Date.UTC(2026, 0, 1)), lastProcessedAt: new Date(Date.UTC(2026, 0, 4)),
    });
  });

  it('migration 002 fills in the progress of submissions stored before it', async () => {
    const old = await freshSchema({ migrations: MIGRATIONS.slice(0, 1) });
    try {
      const jobId = randomUUID();
      await old.pool.query("INSERT INTO submissions (id, notes, batches) VALUES ($1, 3, 1)", [jobId]);
      await old.pool.query("INSERT INTO job_notes (job_id, note_id, processed_at) VALUES ($1, 'a', '2026-01-01Z'), ($1, 'b', '2026-01-02Z')", [jobId]);
      await old.pool.query("INSERT INTO note_failures (job_id, note_id, reason) VALUES ($1, 'c', 'text must be a string, got number')", [jobId]);
      expect(await migrate(old.pool, old.schema)).toContain('002_submission_progress');
      expect(await createPgRecordStore(old.pool).progress(jobId, 10)).toMatchObject({
        done: 2, failed: 1, firstProcessedAt: new Date('2026-01-01Z'), lastProcessedAt: new Date('2026-01-02Z'), failures: [{ noteId: 'c' }],
      });
    } finally {
      await old.drop();
    }
  });

  it('a record PostgreSQL refuses (NUL, unpaired surrogate) fails alone; the rest of its batch is stored and counted', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 5, batches: 1, source: 'api' });
    const nul = record('r-nul', ['asthma\u0000'], []);
    const half = record('r-half', ['gout\ud83d'], ['colchicine']);
    const batch = {
      jobId,
      records: [record('r-ok1', ['flu'], ['oseltamivir']), nul, record('r-ok2', [], []), half],
      texts: ['Flu, oseltamivir.', 'asthma\u0000', 'Nothing.', 'gout\ud83d colchicine'],
      failures: [{ noteId: 'r-bad', reason: 'text must be a string, got number' }],
      processedAt: new Date(),
    };
    await store.saveBatch(batch);
    await store.saveBatch(batch); // a retried batch counts each note once
    const progress = await store.progress(jobId, 10);
    expect(progress).toMatchObject({ notes: 5, done: 2, failed: 3 });
    expect(progress?.failures).toEqual([
      { noteId: 'r-bad', reason: 'text must be a string, got number' },
      // jsonb reads an unpaired surrogate's escape as invalid JSON (22P02), and refuses \u0000 (22P05).
      { noteId: 'r-half', reason: 'not stored: PostgreSQL refused the record, a value it cannot read (invalid text representation) (SQLSTATE 22P02)' },
      { noteId: 'r-nul', reason: 'not stored: PostgreSQL refused the record, a character it cannot store (untranslatable Unicode escape) (SQLSTATE 22P05)' },
    ]);
    const { rows } = await db.pool.query("SELECT note_id, text FROM records WHERE note_id LIKE 'r-%' ORDER BY note_id");
    expect(rows).toEqual([{ note_id: 'r-ok1', text: 'Flu, oseltamivir.' }, { note_id: 'r-ok2', text: 'Nothing.' }]);
  });

  it('a failure whose note id PostgreSQL could not store is recorded with U+FFFD in its place', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 1, batches: 1, source: 'api' });
    await store.saveBatch({ jobId, records: [], failures: [{ noteId: 'id\u0000x', reason: 'id has a NUL character (U+0000) at offset 2, which cannot be stored' }], processedAt: new Date() });
    expect((await store.progress(jobId, 10))?.failures).toEqual([{ noteId: 'id\ufffdx', reason: 'id has a NUL character (U+0000) at offset 2, which cannot be stored' }]);
  });

  it('streams a job\'s records page by page in note-id order', async () => {
    const jobId = randomUUID();
    const ids = Array.from({ length: 23 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await store.createSubmission({ jobId, notes: ids.length, batches: 1, source: 'api' });
    await store.saveBatch({ jobId, records: ids.map((id) => record(id, [], [])), failures: [], processedAt: new Date() });
    const seen: string[] = [];
    for await (const stored of store.jobRecords(jobId, 5)) seen.push(stored.record.noteId as string);
    expect(seen).toEqual(ids);
  });

  it('finds records by disease, treatment and time, newest first', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 3, batches: 1, source: 'api' });
    await store.saveBatch({ jobId, records: [record('f1', ['Lung Cancer'], ['cisplatin'])], failures: [], processedAt: new Date('2026-01-01T00:00:00Z') });
    await store.saveBatch({ jobId, records: [record('f2', ['lung cancer'], ['surgery'])], failures: [], processedAt: new Date('2026-02-01T00:00:00Z') });
    const both = await store.findRecords({ disease: 'LUNG CANCER', limit: 10 });
    expect(both.map((r) => r.record.noteId)).toEqual(['f2', 'f1']);
    expect((await store.findRecords({ disease: 'lung cancer', treatment: 'cisplatin', limit: 10 })).map((r) => r.record.noteId)).toEqual(['f1']);
    expect((await store.findRecords({ disease: 'lung cancer', since: new Date('2026-01-15T00:00:00Z'), limit: 10 })).map((r) => r.record.noteId)).toEqual(['f2']);
    expect(await store.treatmentsForDisease('lung cancer', 10)).toEqual([
      { treatment: 'cisplatin', notes: 1, pairs: 1 },
      { treatment: 'surgery', notes: 1, pairs: 1 },
    ]);
  });

  it('does not find a record by a disease its note negates or names of a relative, and stores each entity\'s assertion', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 3, batches: 1, source: 'api' });
    const asserted = (noteId: string, assertion: 'absent' | 'family' | 'possible') => {
      const r = record(noteId, ['measles'], []);
      const entities = r.entities.map((e) => ({ ...e, assertion }));
      return { ...r, entities, diseases: entities, pairs: [] };
    };
    await store.saveBatch({ jobId, records: [asserted('neg1', 'absent'), asserted('fam1', 'family'), asserted('pos1', 'possible')], failures: [], processedAt: new Date() });
    expect((await store.findRecords({ disease: 'measles', limit: 10 })).map((r) => r.record.noteId)).not.toContain('neg1');
    expect((await store.findRecords({ disease: 'measles', limit: 10 })).map((r) => r.record.noteId)).not.toContain('fam1');
    expect((await store.findRecords({ disease: 'measles', limit: 10 })).map((r) => r.record.noteId)).toContain('pos1');
    const { rows } = await db.pool.query("SELECT note_id, assertion, confidence FROM entities WHERE note_id IN ('neg1', 'fam1', 'pos1') ORDER BY note_id");
    expect(rows).toEqual([
      { note_id: 'fam1', assertion: 'family', confidence: 0.9 },
      { note_id: 'neg1', assertion: 'absent', confidence: 0.9 },
      { note_id: 'pos1', assertion: 'possible', confidence: 0.9 },
    ]);
  });

  it('stores each entity\'s kind beside it (none for a model without kinds)', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 2, batches: 1, source: 'api' });
    const r = record('kind1', ['fever', 'asthma'], ['salbutamol']);
    const kinds = ['symptom', 'diagnosis', 'drug'] as const;
    const entities = r.entities.map((e, i) => ({ ...e, kind: kinds[i] }));
    await store.saveBatch({ jobId, records: [{ ...r, entities }, record('kind2', ['gout'], [])], failures: [], processedAt: new Date() });
    const { rows } = await db.pool.query("SELECT note_id, text, kind FROM entities WHERE note_id IN ('kind1', 'kind2') ORDER BY note_id, start_offset");
    expect(rows).toEqual([
      { note_id: 'kind1', text: 'fever', kind: 'symptom' },
      { note_id: 'kind1', text: 'asthma', kind: 'diagnosis' },
      { note_id: 'kind1', text: 'salbutamol', kind: 'drug' },
      { note_id: 'kind2', text: 'gout', kind: null },
    ]);
  });

  it('keeps a drug\'s generic and dosage in the stored record', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 1, batches: 1, source: 'api' });
    const r = record('dose1', ['fever'], ['Dolo 650']);
    const dosage = { text: 'Dolo 650 1-0-1 x 5 days', start: 6, end: 29, doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 2, period: 1, periodUnit: 'd' as const }, boundsDuration: { value: 5, unit: 'd' } };
    const drug = { ...(r.treatments[0] as ExtractionRecord['treatments'][number]), generic: ['paracetamol'], dosage };
    await store.saveBatch({ jobId, records: [{ ...r, treatments: [drug], entities: [...r.diseases, drug] }], failures: [], processedAt: new Date() });
    const [stored] = await store.findRecords({ treatment: 'dolo 650', limit: 10 });
    expect(stored?.record.treatments[0]).toMatchObject({ generic: ['paracetamol'], dosage });
  });

  it('finds records and aggregates by concept code: "HTN" and "hypertension" are one disease; treatments by ingredients', async () => {
    const jobId = randomUUID();
    await store.createSubmission({ jobId, notes: 3, batches: 1, source: 'api' });
    const icd = [{ system: 'ICD-10-CM' as const, code: 'I10', display: 'Essential (primary) hypertension', score: 0.95 }, { system: 'DOID' as const, code: 'DOID:10763', display: 'hypertension', score: 0.9 }];
    const coded = (noteId: string, disease: string, treatment: string, generic: string[], assertion: 'present' | 'absent' = 'present'): ExtractionRecord => {
      const d = { type: 'disease' as const, text: disease, start: 0, end: disease.length, assertion, confidence: 0.9, codes: icd };
      const t = { type: 'treatment' as const, text: treatment, start: disease.length + 4, end: disease.length + 4 + treatment.length, assertion: 'present' as const, confidence: 0.9, generic };
      return { noteId, modelVersion: 'm1', diseases: [d], treatments: [t], entities: [d, t], pairs: assertion === 'present' ? [{ disease, treatment, evidence: 'explicit-link' }] : [] };
    };
    const e11 = (noteId: string): ExtractionRecord => {
      const d = { type: 'disease' as const, text: 'T2DM', start: 0, end: 4, assertion: 'present' as const, confidence: 0.9, codes: [{ system: 'ICD-10-CM' as const, code: 'E11.9', display: 'Type 2 diabetes mellitus without complications', score: 0.95 }] };
      return { noteId, modelVersion: 'm1', diseases: [d], treatments: [], entities: [d], pairs: [] };
    };
    await store.saveBatch({
      jobId,
      records: [coded('c1', 'HTN', 'Telma', ['telmisartan']), coded('c2', 'hypertension', 'telmisartan', ['telmisartan']), coded('c3', 'Hypertension', 'amlodipine', ['amlodipine'], 'absent'), e11('c4')],
      failures: [],
      processedAt: new Date(),
    });
    const found = await store.findRecords({ code: 'I10', limit: 10 });
    expect(found.map((r) => r.record.noteId).sort()).toEqual(['c1', 'c2']);
    expect(found[0]?.record.diseases[0]?.codes?.[0]?.code).toBe('I10');
    expect((await store.findRecords({ code: 'E11', limit: 10 })).map((r) => r.record.noteId)).toEqual(['c4']);
    expect(await store.findRecords({ code: 'E1', limit: 10 })).toEqual([]);
    expect(await store.treatmentsForDisease({ code: 'I10' }, 10)).toEqual([{ treatment: 'Telma', generic: 'telmisartan', notes: 2, pairs: 2 }]);
    const diseases = await store.diseasesByCode(10);
    expect(diseases).toEqual(
      expect.arrayContaining([
        { code: 'I10', display: 'Essential (primary) hypertension', notes: 2, mentions: 2, names: ['htn', 'hypertension'] },
        { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications', notes: 1, mentions: 1, names: ['t2dm'] },
      ]),
    );
    const { rows } = await db.pool.query("SELECT evidence, disease_code FROM pairs WHERE note_id = 'c1'");
    expect(rows).toEqual([{ evidence: 'explicit-link', disease_code: 'I10' }]);
  });
});
