import type pg from 'pg';
import { withUnstorableReplaced } from '../core/text/storable-text.js';

export type NightlyRunState = 'running' | 'completed' | 'failed';

export interface NightlyRun<Report = unknown> {
  /** The day processed, YYYY-MM-DD. */
  day: string;
  jobId: string;
  state: NightlyRunState;
  startedAt: Date;
  finishedAt: Date | null;
  report: Report | null;
}

/** The nightly runs in PostgreSQL: one row per day, replaced when the day is run again. */
export interface NightlyRunStore {
  start(day: string, jobId: string, startedAt: Date): Promise<void>;
  finish(day: string, state: Exclude<NightlyRunState, 'running'>, finishedAt: Date, report: unknown): Promise<void>;
  get(day: string): Promise<NightlyRun | null>;
  /** The run that finished last (completed or failed), or null before the first. */
  latestFinished(): Promise<NightlyRun | null>;
  /** The run that completed last, or null. */
  latestCompleted(): Promise<NightlyRun | null>;
}

interface Row {
  day: string;
  job_id: string;
  state: NightlyRunState;
  started_at: Date;
  finished_at: Date | null;
  report: unknown;
}

const COLUMNS = "to_char(day, 'YYYY-MM-DD') AS day, job_id, state, started_at, finished_at, report";
const toRun = (row: Row): NightlyRun => ({ day: row.day, jobId: row.job_id, state: row.state, startedAt: row.started_at, finishedAt: row.finished_at, report: row.report });

export function createPgNightlyRunStore(pool: pg.Pool): NightlyRunStore {
  return {
    async start(day, jobId, startedAt) {
      await pool.query(
        `INSERT INTO nightly_runs (day, job_id, state, started_at) VALUES ($1, $2, 'running', $3)
         ON CONFLICT (day) DO UPDATE SET job_id = EXCLUDED.job_id, state = 'running', started_at = EXCLUDED.started_at, finished_at = NULL, report = NULL`,
        [day, jobId, startedAt],
      );
    },
    async finish(day, state, finishedAt, report) {
      // The report names note ids read from inbox files: one jsonb cannot hold (NUL, unpaired surrogate) is kept with U+FFFD.
      const json = JSON.stringify(report, (_key, value: unknown) => (typeof value === 'string' ? withUnstorableReplaced(value) : value));
      await pool.query('UPDATE nightly_runs SET state = $2, finished_at = $3, report = $4 WHERE day = $1', [day, state, finishedAt, json]);
    },
    async get(day) {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM nightly_runs WHERE day = $1`, [day]);
      return rows[0] ? toRun(rows[0]) : null;
    },
    async latestFinished() {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM nightly_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`);
      return rows[0] ? toRun(rows[0]) : null;
    },
    async latestCompleted() {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM nightly_runs WHERE state = 'completed' ORDER BY finished_at DESC LIMIT 1`);
      return rows[0] ? toRun(rows[0]) : null;
    },
  };
}
