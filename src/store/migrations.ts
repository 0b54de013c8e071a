/**
 * The schema, as ordered migrations. Applied by `behealthy db migrate` and at worker start (migrate.ts),
 * each once, recorded in schema_migrations. Never edit an applied migration: add the next one.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_records',
    sql: `
      -- A submission: POST /v1/jobs or a nightly run; its notes are processed in batches.
      CREATE TABLE submissions (
        id uuid PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        notes integer NOT NULL CHECK (notes >= 0),
        batches integer NOT NULL CHECK (batches >= 0),
        source text NOT NULL DEFAULT 'api'
      );

      -- The latest record of each note (re-submitting a note id updates it).
      CREATE TABLE records (
        note_id text PRIMARY KEY,
        job_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        model_version text NOT NULL,
        processed_at timestamptz NOT NULL,
        record jsonb NOT NULL
      );
      CREATE INDEX records_processed_at ON records (processed_at);
      CREATE INDEX records_job_id ON records (job_id);

      -- Entities and pairs of each record, for analytics; replaced with the record.
      CREATE TABLE entities (
        note_id text NOT NULL REFERENCES records (note_id) ON DELETE CASCADE,
        type text NOT NULL CHECK (type IN ('disease', 'treatment')),
        text text NOT NULL,
        start_offset integer NOT NULL,
        end_offset integer NOT NULL
      );
      CREATE INDEX entities_note_id ON entities (note_id);
      CREATE INDEX entities_type_text ON entities (type, lower(text));

      CREATE TABLE pairs (
        note_id text NOT NULL REFERENCES records (note_id) ON DELETE CASCADE,
        disease text NOT NULL,
        treatment text NOT NULL
      );
      CREATE INDEX pairs_note_id ON pairs (note_id);
      CREATE INDEX pairs_disease ON pairs (lower(disease));

      -- Which notes each submission processed, and when: its progress and its records.
      CREATE TABLE job_notes (
        job_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        note_id text NOT NULL,
        processed_at timestamptz NOT NULL,
        PRIMARY KEY (job_id, note_id)
      );

      -- Notes that could not be processed (bad input), with the reason.
      CREATE TABLE note_failures (
        job_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        note_id text NOT NULL,
        reason text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, note_id)
      );
    `,
  },
  {
    id: '002_submission_progress',
    sql: `
      -- Progress kept on the submission as batches commit, so polling a job reads one row instead of
      -- counting its job_notes (which cost milliseconds per poll on a 10,000-note job).
      ALTER TABLE submissions
        ADD COLUMN done integer NOT NULL DEFAULT 0,
        ADD COLUMN failed integer NOT NULL DEFAULT 0,
        ADD COLUMN first_processed_at timestamptz,
        ADD COLUMN last_processed_at timestamptz;
      UPDATE submissions s SET
        done = (SELECT count(*) FROM job_notes j WHERE j.job_id = s.id),
        failed = (SELECT count(*) FROM note_failures f WHERE f.job_id = s.id),
        first_processed_at = (SELECT min(processed_at) FROM job_notes j WHERE j.job_id = s.id),
        last_processed_at = (SELECT max(processed_at) FROM job_notes j WHERE j.job_id = s.id);
    `,
  },
  {
    id: '003_nightly_runs',
    sql: `
      -- One row per day processed by the nightly job (or behealthy batch --date): its submission, its state
      -- and, once finished, its report (drift included). A re-run of a day replaces the row.
      CREATE TABLE nightly_runs (
        day date PRIMARY KEY,
        job_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        state text NOT NULL CHECK (state IN ('running', 'completed', 'failed')),
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        report jsonb
      );
      CREATE INDEX nightly_runs_finished_at ON nightly_runs (finished_at);
    `,
  },
  {
    id: '004_corrections',
    sql: `
      -- Reviewers' corrections: the entities a note should have (offsets into its text), with who and when,
      -- and what the model had found before. Training data for retraining: the latest correction of a note wins.
      CREATE TABLE corrections (
        id bigserial PRIMARY KEY,
        note_id text NOT NULL,
        text text NOT NULL,
        entities jsonb NOT NULL,
        before jsonb,
        reviewer text NOT NULL,
        source text NOT NULL DEFAULT 'review' CHECK (source IN ('review', 'import')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX corrections_note_id ON corrections (note_id, created_at DESC, id DESC);
      CREATE INDEX corrections_created_at ON corrections (created_at);
    `,
  },
  {
    id: '005_reviews',
    sql: `
      -- One row per review on the review page (POST /v1/reviews): who, when, how long, whether the reviewer
      -- changed the model's entities, and the correction it stored (the entities before and after are there).
      CREATE TABLE reviews (
        id bigserial PRIMARY KEY,
        note_id text NOT NULL,
        correction_id bigint NOT NULL REFERENCES corrections (id) ON DELETE CASCADE,
        reviewer text NOT NULL,
        seconds double precision NOT NULL CHECK (seconds >= 0),
        changed boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX reviews_note_id ON reviews (note_id, created_at DESC);
      CREATE INDEX reviews_created_at ON reviews (created_at);
      -- A stored record's review status: reviewed once a review of its note id is stored.
      ALTER TABLE records ADD COLUMN reviewed_at timestamptz;
    `,
  },
  {
    id: '006_record_text',
    sql: `
      -- The note's text beside its record, so reviewers can open stored records one after another
      -- (records stored before this have none and are not offered for review).
      ALTER TABLE records ADD COLUMN text text;
      CREATE INDEX records_review_queue ON records (processed_at, note_id) WHERE reviewed_at IS NULL AND text IS NOT NULL;
    `,
  },
  {
    id: '007_entity_assertion',
    sql: `
      -- Each entity's assertion (present, absent, possible, historical, family) and confidence, so analytics
      -- can leave out what the note negates or says of a relative. Rows stored before this count as present.
      ALTER TABLE entities ADD COLUMN assertion text NOT NULL DEFAULT 'present'
        CHECK (assertion IN ('present', 'absent', 'possible', 'historical', 'family'));
      ALTER TABLE entities ADD COLUMN confidence real CHECK (confidence BETWEEN 0 AND 1);
    `,
  },
  {
    id: '008_entity_kind',
    sql: `
      -- Each entity's kind: a disease is a diagnosis or a symptom, a treatment a drug or a procedure (null for
      -- rows stored before models gave kinds), so analytics can count diagnoses apart from symptoms.
      ALTER TABLE entities ADD COLUMN kind text CHECK (kind IN ('diagnosis', 'symptom', 'drug', 'procedure'));
    `,
  },
  {
    id: '009_concept_codes',
    sql: `
      -- Analytics by concept: each entity's best code (ICD-10-CM for a disease, DrugBank for a drug), its display
      -- name and a drug's ingredients; each pair's disease code and treatment ingredients, and its evidence. Rows
      -- stored before have none: re-submitting their notes (POST /v1/jobs, or the nightly inbox) stores them coded.
      ALTER TABLE entities ADD COLUMN code text, ADD COLUMN code_display text, ADD COLUMN generic text;
      CREATE INDEX entities_code ON entities (code) WHERE code IS NOT NULL;
      ALTER TABLE pairs ADD COLUMN disease_code text, ADD COLUMN disease_display text, ADD COLUMN treatment_generic text, ADD COLUMN evidence text;
      CREATE INDEX pairs_disease_code ON pairs (disease_code) WHERE disease_code IS NOT NULL;
    `,
  },
];
