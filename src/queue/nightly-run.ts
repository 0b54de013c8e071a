import { createHash } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExtractionRecord } from '../core/text/types.js';
import { readInboxDay, type InboxNote } from '../corpus/inbox.js';
import { describeError } from '../error-description.js';
import { createRecordTally, renderReportHtml, type NightlyReport } from '../monitoring/nightly-report.js';
import type { NightlyRunStore } from '../store/nightly-run-store.js';
import type { JobService, JobStatus } from './job-service.js';

export interface NightlyProgress {
  day: string;
  total: number;
  done: number;
  failed: number;
}

/** Measures drift of a day's notes (with their records) against the model's training data. */
export type DriftCheck = (notes: readonly InboxNote[], records: readonly ExtractionRecord[]) => Promise<unknown>;

export interface NightlyDeps {
  inboxDir: string;
  outboxDir: string;
  jobs: JobService;
  runs: NightlyRunStore;
  drift?: DriftCheck;
  /** RECORD_TEXT_RETENTION_DAYS: purges the note texts of records older than that, after the day's run; absent when texts are kept. */
  textRetention?: { days: number; purge(): Promise<number> };
  onProgress?: (progress: NightlyProgress) => void | Promise<void>;
  pollMs?: number;
  failuresShown?: number;
  now?: () => Date;
}

/**
 * The submission id of a day's run: the same day with the same inbox files always gives the same id, so a
 * re-run (or a run resumed after its process was killed) continues the same submission, and the queue
 * neither loses nor repeats a batch. A changed export gives a new id.
 */
export function nightlyJobId(day: string, inboxSha256: string): string {
  const hex = createHash('sha256').update(`behealthy-nightly\0${day}\0${inboxSha256}`).digest('hex');
  // Laid out as a UUID (version nibble 5, RFC 4122 variant), since submissions are keyed by uuid.
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The calendar day (YYYY-MM-DD) before `now` in a time zone: what a run after midnight processes. */
export function previousDay(now: Date, timeZone: string): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const date = new Date(`${today}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

/** Writes a file whole or not at all: a killed run never leaves half a report. */
async function writeAtomically(path: string, content: string): Promise<void> {
  await writeFile(`${path}.partial`, content);
  await rename(`${path}.partial`, path);
}

async function waitForJob(jobId: string, total: number, day: string, deps: NightlyDeps): Promise<JobStatus> {
  for (;;) {
    const status = await deps.jobs.status(jobId);
    if (!status) throw new Error(`submission ${jobId} disappeared while the nightly run waited for it`);
    await deps.onProgress?.({ day, total, done: status.done, failed: status.failed });
    if (status.state === 'completed' || status.state === 'failed') return status;
    await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? 500));
  }
}

/**
 * One day's run: reads INBOX_DIR/<day>, sends the notes through the `extract` queue (the workers write the
 * records to PostgreSQL), then writes OUTBOX_DIR/<day>/records.jsonl, report.json and report.html and
 * records the run. Idempotent: running a day again gives the same records and report.
 */
export async function runNightly(day: string, deps: NightlyDeps): Promise<NightlyReport> {
  const now = deps.now ?? (() => new Date());
  const inbox = await readInboxDay(deps.inboxDir, day);
  const jobId = nightlyJobId(day, inbox.sha256);
  const startedAt = now();
  await deps.jobs.submit(inbox.notes, 'nightly', { jobId });
  await deps.runs.start(day, jobId, startedAt);
  try {
    const status = await waitForJob(jobId, inbox.notes.length, day, deps);
    const processedAt = now();

    const outDir = join(deps.outboxDir, day);
    await mkdir(outDir, { recursive: true });
    const textById = new Map(inbox.notes.map((note) => [note.id, note.text]));
    const tally = createRecordTally();
    const records: ExtractionRecord[] = [];
    const recordsFile = await open(join(outDir, 'records.jsonl.partial'), 'w');
    try {
      let buffered: string[] = [];
      for await (const stored of deps.jobs.records(jobId)) {
        tally.add(stored.record);
        records.push(stored.record);
        buffered.push(JSON.stringify(stored.record));
        if (buffered.length >= 500) {
          await recordsFile.write(`${buffered.join('\n')}\n`);
          buffered = [];
        }
      }
      if (buffered.length > 0) await recordsFile.write(`${buffered.join('\n')}\n`);
    } finally {
      await recordsFile.close();
    }
    await rename(join(outDir, 'records.jsonl.partial'), join(outDir, 'records.jsonl'));

    const measuredNotes = records.flatMap((r) => (textById.has(r.noteId as string) ? [{ id: r.noteId as string, text: textById.get(r.noteId as string) as string }] : []));
    const drift = deps.drift
      ? await deps.drift(measuredNotes, records).catch((error: unknown) => ({ error: describeError(error) }))
      : null;

    const textRetention = deps.textRetention
      ? await deps.textRetention.purge().then(
          (recordTextsPurged) => ({ days: deps.textRetention?.days ?? 0, recordTextsPurged }),
          (error: unknown) => ({ days: deps.textRetention?.days ?? 0, error: describeError(error) }),
        )
      : undefined;

    const failures: NightlyReport['failures'] = [
      ...inbox.problems.map((p) => ({ ...(p.noteId ? { noteId: p.noteId } : {}), file: p.file, line: p.line, reason: p.reason })),
      ...status.failures.map((f) => ({ noteId: f.noteId, reason: f.reason })),
      ...status.failedBatches.map((b) => ({ reason: `batch ${b.batch} failed after every retry: ${b.reason}` })),
    ];
    // Throughput over the submission's life (created → last note stored), so that a re-run of a finished
    // day, which processes nothing, still reports the day's real figure.
    const lastStored = status.lastProcessedAt ?? processedAt;
    const seconds = Math.max(0.001, (lastStored.getTime() - status.createdAt.getTime()) / 1000);
    const finishedAt = now();
    const report: NightlyReport = {
      day,
      jobId,
      ...tally.result(),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      seconds: Number(seconds.toFixed(2)),
      runSeconds: Number(((processedAt.getTime() - startedAt.getTime()) / 1000).toFixed(2)),
      notesPerSecond: Math.round((status.done + status.failed) / seconds),
      notes: { read: inbox.notes.length, done: status.done, failed: status.failed, skipped: inbox.problems.length },
      inboxFiles: inbox.files,
      failures: failures.slice(0, deps.failuresShown ?? 1_000),
      failuresTotal: inbox.problems.length + status.failed + status.failedBatches.length,
      drift,
      ...(textRetention ? { textRetention } : {}),
    };
    await writeAtomically(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeAtomically(join(outDir, 'report.html'), renderReportHtml(report));
    await deps.runs.finish(day, status.state === 'completed' ? 'completed' : 'failed', finishedAt, report);
    return report;
  } catch (error) {
    await deps.runs.finish(day, 'failed', now(), { error: describeError(error) }).catch(() => {});
    throw error;
  }
}
