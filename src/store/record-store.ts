import type pg from 'pg';
import { withUnstorableReplaced } from '../core/text/storable-text.js';
import { isDataError, sqlStateOf } from './sql-state.js';
import type { Entity, ExtractionRecord } from '../core/text/types.js';

/** A note the worker could not process, and why (bad input; never the note's text). */
export interface NoteFailure {
  noteId: string;
  reason: string;
}

export interface BatchResult {
  jobId: string;
  records: ExtractionRecord[];
  /** Each record's note text, in the same order (kept for review); absent: none kept. */
  texts?: readonly string[];
  failures: NoteFailure[];
  processedAt: Date;
}

export interface SubmissionProgress {
  jobId: string;
  source: string;
  createdAt: Date;
  notes: number;
  batches: number;
  done: number;
  failed: number;
  firstProcessedAt: Date | null;
  lastProcessedAt: Date | null;
  failures: NoteFailure[];
}

export interface RecordQuery {
  disease?: string;
  treatment?: string;
  /** A concept code (ICD-10-CM, DOID, DrugBank) of an entity of the note; an ICD-10-CM category ("E11") matches its codes. */
  code?: string;
  since?: Date;
  limit: number;
}

export interface StoredRecord {
  record: ExtractionRecord;
  jobId: string;
  processedAt: Date;
}

/** Everything the service keeps in PostgreSQL, behind one interface (tests may hand in another). */
export interface RecordStore {
  createSubmission(submission: { jobId: string; notes: number; batches: number; source: string }): Promise<void>;
  deleteSubmission(jobId: string): Promise<void>;
  /**
   * One transaction: records upserted by note id (entities and pairs replaced), failures recorded. When
   * PostgreSQL refuses the batch's data (SQLSTATE class 22 or 23), each record is saved alone and those it
   * refuses become failures; other errors (connection, shutdown) throw, for the batch to be retried.
   */
  saveBatch(batch: BatchResult): Promise<void>;
  progress(jobId: string, failureLimit: number): Promise<SubmissionProgress | null>;
  /** The records a submission processed, in note-id order, a page at a time (keyset pagination). */
  jobRecords(jobId: string, pageSize: number): AsyncGenerator<StoredRecord>;
  findRecords(query: RecordQuery): Promise<StoredRecord[]>;
  /** The treatments paired with a disease, named (case-insensitively) or by code (its ICD-10-CM code or category), one row per ingredient set. */
  treatmentsForDisease(disease: string | { code: string }, limit: number): Promise<TreatmentInsight[]>;
  /** Diseases the patients have (present, not a relative's), by ICD-10-CM code, with the names written for them. */
  diseasesByCode(limit: number): Promise<DiseaseInsight[]>;
}

export interface TreatmentInsight {
  treatment: string;
  /** Its active ingredients, when coded ("amoxicillin + clavulanic acid"). */
  generic?: string;
  notes: number;
  pairs: number;
}

export interface DiseaseInsight {
  code: string;
  display: string;
  notes: number;
  mentions: number;
  /** The names written for it, most frequent first (at most 5). */
  names: string[];
}

/** An entity's code for analytics: the first ICD-10-CM code of a disease, the first DrugBank code of a drug. */
export function analyticsCode(entity: Entity): { code: string; display: string } | null {
  const system = entity.type === 'disease' ? 'ICD-10-CM' : 'DrugBank';
  const code = entity.codes?.find((c) => c.system === system);
  return code ? { code: code.code, display: code.display } : null;
}

/** `code = $n`, or, for a category without a dot ("E11"), its codes too. */
function codeCondition(column: string, parameter: number, code: string): { sql: string; values: string[] } {
  const prefix = code.includes('.') || code.includes(':') ? null : `${code}.%`;
  return prefix ? { sql: `(${column} = $${parameter} OR ${column} LIKE $${parameter + 1})`, values: [code, prefix] } : { sql: `${column} = $${parameter}`, values: [code] };
}

interface RecordRow {
  record: ExtractionRecord;
  job_id: string;
  processed_at: Date;
}
const toStored = (row: RecordRow): StoredRecord => ({ record: row.record, jobId: row.job_id, processedAt: row.processed_at });

function lastById<T>(items: readonly T[], id: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [id(item), item])).values()];
}

/** Writes a batch with `client`, inside the transaction the caller opened. */
async function writeBatch(client: pg.PoolClient, batch: BatchResult): Promise<void> {
  const { jobId, processedAt } = batch;
  // A note id twice in one batch: the later note wins (one statement may not upsert a row twice).
  const withTexts = lastById(batch.records.map((record, i) => ({ record, text: batch.texts?.[i] ?? null })), (r) => r.record.noteId as string);
  const records = withTexts.map((r) => r.record);
  // Ids a caller did not check must not make PostgreSQL refuse the failures themselves.
  const failures = lastById(batch.failures.map((f) => ({ ...f, noteId: withUnstorableReplaced(f.noteId) })), (f) => f.noteId);
  let done = 0;
  let failed = 0;
  if (records.length > 0) {
    const noteIds = records.map((r) => r.noteId as string);
    // Rows go in as arrays (unnest): one statement per table whatever the batch size.
    const upserted = await client.query<{ note_id: string; replaced: boolean }>(
      // A re-processed note is a new extraction: it goes back to the review queue.
      `INSERT INTO records (note_id, job_id, model_version, processed_at, record, text)
       SELECT note_id, $2, model_version, $3, record, text FROM unnest($1::text[], $4::text[], $5::jsonb[], $6::text[]) AS t (note_id, model_version, record, text)
       ON CONFLICT (note_id) DO UPDATE SET job_id = EXCLUDED.job_id, model_version = EXCLUDED.model_version,
         processed_at = EXCLUDED.processed_at, record = EXCLUDED.record, text = EXCLUDED.text, reviewed_at = NULL
       RETURNING note_id, xmax <> 0 AS replaced`,
      [noteIds, jobId, processedAt, records.map((r) => r.modelVersion), records.map((r) => JSON.stringify(r)), withTexts.map((r) => r.text)],
    );
    // Only replaced records have entities and pairs to remove. Before autovacuum has analyzed the
    // tables (a first bulk import) the planner guesses hundreds of rows per note id and scans both
    // tables whole for every batch; the note_id indexes are always the right plan here.
    const replaced = upserted.rows.filter((row) => row.replaced).map((row) => row.note_id);
    if (replaced.length > 0) {
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query('DELETE FROM entities WHERE note_id IN (SELECT unnest($1::text[]))', [replaced]);
      await client.query('DELETE FROM pairs WHERE note_id IN (SELECT unnest($1::text[]))', [replaced]);
      await client.query('SET LOCAL enable_seqscan = on');
    }
    const entities = records.flatMap((r) =>
      r.entities.map((e) => {
        const coded = analyticsCode(e);
        return [r.noteId as string, e.type, e.text, e.start, e.end, e.assertion, e.confidence, e.kind ?? null, coded?.code ?? null, coded?.display ?? null, e.generic?.join(' + ') ?? null] as const;
      }),
    );
    if (entities.length > 0) {
      await client.query(
        `INSERT INTO entities (note_id, type, text, start_offset, end_offset, assertion, confidence, kind, code, code_display, generic)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::real[], $8::text[], $9::text[], $10::text[], $11::text[])`,
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => entities.map((row) => row[k])),
      );
    }
    const pairs = records.flatMap((r) => {
      // A pair names its disease and treatment as written: their codes are those of the mention it names.
      const byName = new Map<string, Entity>();
      for (const e of r.entities) if (!byName.has(`${e.type}\u0000${e.text.toLowerCase()}`)) byName.set(`${e.type}\u0000${e.text.toLowerCase()}`, e);
      return r.pairs.map((p) => {
        const disease = byName.get(`disease\u0000${p.disease.toLowerCase()}`);
        const treatment = byName.get(`treatment\u0000${p.treatment.toLowerCase()}`);
        const code = disease ? analyticsCode(disease) : null;
        return [r.noteId as string, p.disease, p.treatment, code?.code ?? null, code?.display ?? null, treatment?.generic?.join(' + ') ?? null, p.evidence ?? null] as const;
      });
    });
    if (pairs.length > 0) {
      await client.query(
        `INSERT INTO pairs (note_id, disease, treatment, disease_code, disease_display, treatment_generic, evidence)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
        [0, 1, 2, 3, 4, 5, 6].map((k) => pairs.map((row) => row[k])),
      );
    }
    // xmax = 0 on a returned row means it was inserted, not updated: only notes new to the job count.
    const { rows } = await client.query<{ added: number }>(
      `WITH upserted AS (
         INSERT INTO job_notes (job_id, note_id, processed_at) SELECT $1, note_id, $3 FROM unnest($2::text[]) AS t (note_id)
         ON CONFLICT (job_id, note_id) DO UPDATE SET processed_at = EXCLUDED.processed_at
         RETURNING xmax = 0 AS inserted)
       SELECT count(*) FILTER (WHERE inserted)::int AS added FROM upserted`,
      [jobId, noteIds, processedAt],
    );
    done = rows[0]?.added ?? 0;
  }
  if (failures.length > 0) {
    const { rows } = await client.query<{ added: number }>(
      `WITH upserted AS (
         INSERT INTO note_failures (job_id, note_id, reason, failed_at) SELECT $1, note_id, reason, $4 FROM unnest($2::text[], $3::text[]) AS t (note_id, reason)
         ON CONFLICT (job_id, note_id) DO UPDATE SET reason = EXCLUDED.reason, failed_at = EXCLUDED.failed_at
         RETURNING xmax = 0 AS inserted)
       SELECT count(*) FILTER (WHERE inserted)::int AS added FROM upserted`,
      [jobId, failures.map((f) => f.noteId), failures.map((f) => f.reason), processedAt],
    );
    failed = rows[0]?.added ?? 0;
  }
  // Last, so concurrent batches of one job wait on the submission's row only while committing.
  await client.query(
    `UPDATE submissions SET done = done + $2, failed = failed + $3,
       first_processed_at = LEAST(first_processed_at, $4), last_processed_at = GREATEST(last_processed_at, $4)
     WHERE id = $1`,
    [jobId, done, failed, processedAt],
  );
}

async function inTransaction(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const REFUSED_BECAUSE: Readonly<Record<string, string>> = {
  '22021': 'a character it cannot store (invalid byte sequence)',
  '22P05': 'a character it cannot store (untranslatable Unicode escape)',
  '22P02': 'a value it cannot read (invalid text representation)',
  '22023': 'a value it cannot use (invalid parameter value)',
  '22001': 'a value too long for its column',
  '23502': 'a missing value (not-null violation)',
  '23503': 'a reference to a row that does not exist (foreign-key violation)',
  '23505': 'a duplicate key (unique violation)',
  '23514': 'a value its checks refuse (check violation)',
};

/** The failure reason of a note PostgreSQL refused: fixed per SQLSTATE (its message may quote the data). */
export function refusedReason(error: unknown): string {
  const state = sqlStateOf(error) as string;
  return `not stored: PostgreSQL refused the record, ${REFUSED_BECAUSE[state] ?? 'a data error'} (SQLSTATE ${state})`;
}

/**
 * A batch PostgreSQL refused for its data: each record in a transaction of its own, so one it refuses
 * fails alone (with a reason per SQLSTATE) and the others are stored; then the failures. Any other error
 * still throws, for BullMQ to retry the batch (records already stored are upserted again, counted once).
 */
async function saveOneByOne(pool: pg.Pool, batch: BatchResult): Promise<void> {
  const failures = [...batch.failures];
  for (const [i, record] of batch.records.entries()) {
    const single: BatchResult = { jobId: batch.jobId, records: [record], failures: [], processedAt: batch.processedAt, ...(batch.texts ? { texts: batch.texts.slice(i, i + 1) } : {}) };
    try {
      await inTransaction(pool, (client) => writeBatch(client, single));
    } catch (error) {
      if (!isDataError(error)) throw error;
      failures.push({ noteId: record.noteId as string, reason: refusedReason(error) });
    }
  }
  if (failures.length > 0) await inTransaction(pool, (client) => writeBatch(client, { jobId: batch.jobId, records: [], failures, processedAt: batch.processedAt }));
}

export function createPgRecordStore(pool: pg.Pool): RecordStore {
  return {
    async createSubmission({ jobId, notes, batches, source }) {
      // A nightly run of a day reuses its submission id: submitting it again keeps the progress counted so far.
      await pool.query(
        `INSERT INTO submissions (id, notes, batches, source) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET notes = EXCLUDED.notes, batches = EXCLUDED.batches, source = EXCLUDED.source`,
        [jobId, notes, batches, source],
      );
    },

    async deleteSubmission(jobId) {
      await pool.query('DELETE FROM submissions WHERE id = $1', [jobId]);
    },

    async saveBatch(batch) {
      try {
        await inTransaction(pool, (client) => writeBatch(client, batch));
      } catch (error) {
        if (!isDataError(error) || batch.records.length === 0) throw error;
        await saveOneByOne(pool, batch);
      }
    },

    async progress(jobId, failureLimit) {
      const { rows } = await pool.query<{
        source: string; created_at: Date; notes: number; batches: number; done: number; failed: number; first: Date | null; last: Date | null;
      }>(
        `SELECT source, created_at, notes, batches, done, failed, first_processed_at AS first, last_processed_at AS last
         FROM submissions WHERE id = $1`,
        [jobId],
      );
      const row = rows[0];
      if (!row) return null;
      const failures = row.failed === 0 ? { rows: [] } : await pool.query<{ note_id: string; reason: string }>(
        'SELECT note_id, reason FROM note_failures WHERE job_id = $1 ORDER BY note_id LIMIT $2',
        [jobId, failureLimit],
      );
      return {
        jobId, source: row.source, createdAt: row.created_at, notes: row.notes, batches: row.batches,
        done: row.done, failed: row.failed, firstProcessedAt: row.first, lastProcessedAt: row.last,
        failures: failures.rows.map((f) => ({ noteId: f.note_id, reason: f.reason })),
      };
    },

    async *jobRecords(jobId, pageSize) {
      let after = '';
      for (;;) {
        const { rows } = await pool.query<RecordRow & { note_id: string }>(
          `SELECT r.note_id, r.record, r.job_id, r.processed_at FROM job_notes j JOIN records r ON r.note_id = j.note_id
           WHERE j.job_id = $1 AND j.note_id > $2 ORDER BY j.note_id LIMIT $3`,
          [jobId, after, pageSize],
        );
        for (const row of rows) yield toStored(row);
        if (rows.length < pageSize) return;
        after = (rows[rows.length - 1] as { note_id: string }).note_id;
      }
    },

    async findRecords({ disease, treatment, code, since, limit }) {
      const conditions: string[] = [];
      const values: unknown[] = [];
      const entityFilter = (type: string, text: string): void => {
        values.push(type, text.toLowerCase());
        // A note that negates the disease, or names it of a relative, does not have it.
        conditions.push(
          `EXISTS (SELECT 1 FROM entities e WHERE e.note_id = r.note_id AND e.type = $${values.length - 1} AND lower(e.text) = $${values.length} AND e.assertion NOT IN ('absent', 'family'))`,
        );
      };
      if (disease) entityFilter('disease', disease);
      if (treatment) entityFilter('treatment', treatment);
      if (code) {
        const condition = codeCondition('e.code', values.length + 1, code);
        values.push(...condition.values);
        conditions.push(`EXISTS (SELECT 1 FROM entities e WHERE e.note_id = r.note_id AND ${condition.sql} AND e.assertion NOT IN ('absent', 'family'))`);
      }
      if (since) {
        values.push(since);
        conditions.push(`r.processed_at >= $${values.length}`);
      }
      values.push(limit);
      const { rows } = await pool.query<RecordRow>(
        `SELECT r.record, r.job_id, r.processed_at FROM records r ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
         ORDER BY r.processed_at DESC, r.note_id LIMIT $${values.length}`,
        values,
      );
      return rows.map(toStored);
    },

    async treatmentsForDisease(disease, limit) {
      const condition = typeof disease === 'string' ? { sql: 'lower(disease) = lower($1)', values: [disease] } : codeCondition('disease_code', 1, disease.code);
      const limitAt = condition.values.length + 1;
      // One row per ingredient set when the treatment is coded ("Augmentin" and "amoxicillin-clavulanate" together), else per name.
      const { rows } = await pool.query<{ treatment: string; generic: string | null; notes: string; pairs: string }>(
        `SELECT mode() WITHIN GROUP (ORDER BY treatment) AS treatment, min(treatment_generic) AS generic, count(DISTINCT note_id) AS notes, count(*) AS pairs
         FROM pairs WHERE ${condition.sql} GROUP BY coalesce(treatment_generic, lower(treatment))
         ORDER BY count(DISTINCT note_id) DESC, min(treatment) LIMIT $${limitAt}`,
        [...condition.values, limit],
      );
      return rows.map((r) => ({ treatment: r.treatment, ...(r.generic ? { generic: r.generic } : {}), notes: Number(r.notes), pairs: Number(r.pairs) }));
    },

    async diseasesByCode(limit) {
      const { rows } = await pool.query<{ code: string; display: string; notes: string; mentions: string; names: string[] }>(
        `SELECT code, min(code_display) AS display, count(DISTINCT note_id) AS notes, count(*) AS mentions,
                (SELECT array_agg(name ORDER BY n DESC, name) FROM (SELECT lower(x.text) AS name, count(*) AS n FROM entities x
                  WHERE x.code = e.code AND x.type = 'disease' AND x.assertion NOT IN ('absent', 'family') GROUP BY lower(x.text) ORDER BY count(*) DESC, lower(x.text) LIMIT 5) t) AS names
         FROM entities e WHERE type = 'disease' AND code IS NOT NULL AND assertion NOT IN ('absent', 'family')
         GROUP BY code ORDER BY count(DISTINCT note_id) DESC, code LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({ code: r.code, display: r.display, notes: Number(r.notes), mentions: Number(r.mentions), names: r.names ?? [] }));
    },

  };
}
