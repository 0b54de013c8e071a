import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT, type Config } from '../../src/config.js';
import type { NightlyReport } from '../../src/monitoring/nightly-report.js';
import { createNightlyDeps } from '../../src/queue/nightly-service.js';
import { runNightly } from '../../src/queue/nightly-run.js';
import { EXTRACT_QUEUE, NIGHTLY_QUEUE, NIGHTLY_SCHEDULER_ID } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker } from '../../src/queue/start-worker.js';
import { createPgNightlyRunStore } from '../../src/store/nightly-run-store.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { freshSchema, uniqueName } from '../helpers/services.js';

/**
 * The nightly batch against the real Redis and PostgreSQL with the shipped model: a day of the inbox
 * becomes records, records.jsonl and a report; running the day again, or after the run was killed,
 * neither loses nor duplicates a note. Notes are written here (never real patient data).
 */
const silent = pino({ level: 'silent' });
const DAY = '2026-03-04';
const SENTENCES = [
  'Pt c/o fever x3d. Dx: typhoid fever. Rx: azithromycin 500mg OD x5d.',
  'Patients with chronic obstructive pulmonary disease were treated with tiotropium.',
  'Known case of type 2 diabetes mellitus on metformin; HbA1c 8.1%.',
  'Radiotherapy improved survival in patients with early breast cancer.',
  'No evidence of pneumonia. Continue salbutamol inhaler for asthma.',
];

async function writeDay(inbox: string, day: string, notes: { id: string; text: string }[], extraLines: string[] = []): Promise<void> {
  const folder = join(inbox, day);
  await mkdir(folder, { recursive: true });
  const half = Math.floor(notes.length / 2);
  await writeFile(join(folder, 'part-1.jsonl'), [...notes.slice(0, half).map((n) => JSON.stringify(n)), ...extraLines].join('\n') + '\n');
  const csv = (v: string) => `"${v.replace(/"/g, '""')}"`;
  await writeFile(join(folder, 'part-2.csv'), `id,text\n${notes.slice(half).map((n) => `${csv(n.id)},${csv(n.text)}`).join('\n')}\n`);
}

describe('nightly batch', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let dirs: string;
  let base: Config;
  beforeAll(async () => {
    db = await freshSchema();
    dirs = await mkdtemp(join(tmpdir(), 'nightly-'));
    base = { ...loadConfig(), databaseSchema: db.schema, inboxDir: join(dirs, 'inbox'), outboxDir: join(dirs, 'outbox'), jobBatchSize: 50 };
  });
  afterAll(async () => {
    await db.drop();
    await rm(dirs, { recursive: true, force: true });
  });

  async function obliterate(prefix: string): Promise<void> {
    const connection = createRedisConnection(base.redisUrl, { forBullmq: true });
    for (const name of [EXTRACT_QUEUE, NIGHTLY_QUEUE]) {
      const queue = new Queue(name, { connection, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    connection.disconnect();
  }

  it('turns a day of the inbox into records, records.jsonl and a report; a re-run changes nothing', async () => {
    const config = { ...base, queuePrefix: uniqueName('nightly') };
    const notes = Array.from({ length: 240 }, (_, i) => ({ id: `nt-${String(i).padStart(3, '0')}`, text: `${SENTENCES[i % SENTENCES.length]} Visit ${i}.` }));
    await writeDay(config.inboxDir, DAY, notes, ['{"id": "broken', JSON.stringify({ id: 'nt-000', text: 'a repeated id' }), JSON.stringify({ id: 'too-long', text: 'x'.repeat(config.maxNoteChars + 1) })]);
    const worker = await startWorker(config, { logger: silent });
    const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
    const nightly = createNightlyDeps(config, { redis, pool: db.pool, store: createPgRecordStore(db.pool), drift: async (checked, records) => ({ level: 'none', score: 0, notes: checked.length, records: records.length }) });
    try {
      const seen: number[] = [];
      const report = await runNightly(DAY, { ...nightly, pollMs: 100, onProgress: (p) => void seen.push(p.done) });
      expect(report.notes).toEqual({ read: 241, done: 240, failed: 1, skipped: 2 });
      expect(report.failures).toEqual(expect.arrayContaining([
        { file: 'part-1.jsonl', line: 121, reason: expect.stringMatching(/^not valid JSON/) },
        { noteId: 'nt-000', file: 'part-1.jsonl', line: 122, reason: expect.stringMatching(/already seen at part-1.jsonl:1/) },
        { noteId: 'too-long', reason: expect.stringMatching(/over the limit of \d+ \(MAX_NOTE_CHARS\)/) },
      ]));
      expect(report.failuresTotal).toBe(3);
      expect(report.drift).toEqual({ level: 'none', score: 0, notes: 240, records: 240 });
      expect(report.entities.disease).toBeGreaterThan(100);
      expect(report.modelVersions).toHaveLength(1);
      expect(seen.at(-1)).toBe(240);

      const outbox = join(config.outboxDir, DAY);
      const lines = (await readFile(join(outbox, 'records.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { noteId: string });
      expect(lines.map((r) => r.noteId)).toEqual(notes.map((n) => n.id));
      // The report's top diseases are the records' diseases.
      const recordDiseases = new Set((lines as unknown as { diseases: { text: string }[] }[]).flatMap((r) => r.diseases.map((d) => d.text.toLowerCase())));
      expect(report.topDiseases.length).toBeGreaterThan(0);
      for (const d of report.topDiseases) expect(recordDiseases).toContain(d.text.toLowerCase());
      expect(JSON.parse(await readFile(join(outbox, 'report.json'), 'utf8'))).toEqual(report);
      expect(await readFile(join(outbox, 'report.html'), 'utf8')).toContain(`Nightly report — ${DAY}`);
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM records WHERE note_id LIKE 'nt-%'");
      expect(rows[0].n).toBe(240);
      expect(await createPgNightlyRunStore(db.pool).get(DAY)).toMatchObject({ state: 'completed', jobId: report.jobId, report: { notes: report.notes } });

      const again = await runNightly(DAY, { ...nightly, pollMs: 100 });
      expect(again.jobId).toBe(report.jobId);
      expect(again.notes).toEqual(report.notes);
      expect(again.seconds).toBe(report.seconds);
      expect(again.topDiseases).toEqual(report.topDiseases);
      const after = await db.pool.query("SELECT count(*)::int AS n, count(DISTINCT note_id)::int AS d FROM records WHERE note_id LIKE 'nt-%'");
      expect(after.rows[0]).toEqual({ n: 240, d: 240 });
    } finally {
      await nightly.close();
      await worker.close();
      redis.disconnect();
      await obliterate(config.queuePrefix);
    }
  });

  it('a run killed half-way resumes: every note ends with exactly one record', async () => {
    const queuePrefix = uniqueName('nkill');
    const day = '2026-03-05';
    // Long notes, so that the run takes seconds and can be killed in the middle.
    const long = `${SENTENCES.join(' ')} `.repeat(12);
    const notes = Array.from({ length: 400 }, (_, i) => ({ id: `nk-${String(i).padStart(3, '0')}`, text: `${long}Visit ${i}.` }));
    await writeDay(base.inboxDir, day, notes);
    const env = { ...process.env, DATABASE_SCHEMA: db.schema, QUEUE_PREFIX: queuePrefix, INBOX_DIR: base.inboxDir, OUTBOX_DIR: base.outboxDir, QUEUE_LOCK_MS: '2000', JOB_BATCH_SIZE: '25', WORKER_CONCURRENCY: '1' };
    const run = () => spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/bin.ts'), 'batch', '--date', day], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = run();
      for (let i = 0; ; i++) {
        const { rows } = await db.pool.query("SELECT coalesce(sum(done), 0)::int AS done FROM submissions WHERE source = 'nightly' AND id IN (SELECT job_id FROM nightly_runs WHERE day = $1)", [day]).catch(() => ({ rows: [{ done: 0 }] }));
        if (rows[0].done >= 50) break;
        if (i > 600 || first.exitCode !== null) throw new Error(`the first run did not get going (exit ${first.exitCode})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      first.kill('SIGKILL');
      await once(first, 'exit');
      const { rows: killed } = await db.pool.query("SELECT state FROM nightly_runs WHERE day = $1", [day]);
      expect(killed[0].state, 'the first run was killed before it finished').toBe('running');

      const second = run();
      let stdout = '';
      second.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const [code] = await once(second, 'exit');
      expect(code).toBe(0);
      const summary = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Pick<NightlyReport, 'notes' | 'jobId'>;
      expect(summary.notes).toEqual({ read: 400, done: 400, failed: 0, skipped: 0 });
      const { rows } = await db.pool.query("SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE 'nk-%'");
      expect(rows[0]).toEqual({ records: 400, notes: 400 });
      const { rows: perJob } = await db.pool.query('SELECT count(*)::int AS n FROM job_notes WHERE job_id = $1', [summary.jobId]);
      expect(perJob[0].n).toBe(400);
      const lines = (await readFile(join(base.outboxDir, day, 'records.jsonl'), 'utf8')).trim().split('\n');
      expect(new Set(lines.map((l) => (JSON.parse(l) as { noteId: string }).noteId)).size).toBe(400);
      expect(lines).toHaveLength(400);
    } finally {
      await obliterate(queuePrefix);
    }
  });

  it('a worker process schedules the nightly run (NIGHTLY_CRON in TZ) and processes a queued day', async () => {
    const config = { ...base, queuePrefix: uniqueName('nsched'), nightlyCron: '15 3 * * *', nightlyTimeZone: 'Asia/Kolkata' };
    const day = '2026-03-06';
    await writeDay(config.inboxDir, day, [{ id: 'ns-1', text: SENTENCES[1] as string }, { id: 'ns-2', text: SENTENCES[3] as string }]);
    const worker = await startWorker(config, { logger: silent, nightly: true });
    const connection = createRedisConnection(config.redisUrl, { forBullmq: true });
    const queue = new Queue(NIGHTLY_QUEUE, { connection, prefix: config.queuePrefix });
    const events = new QueueEvents(NIGHTLY_QUEUE, { connection: createRedisConnection(config.redisUrl, { forBullmq: true }), prefix: config.queuePrefix });
    try {
      expect(await queue.getJobScheduler(NIGHTLY_SCHEDULER_ID)).toMatchObject({ pattern: '15 3 * * *', tz: 'Asia/Kolkata' });
      await events.waitUntilReady();
      const job = await queue.add('nightly-run', { day });
      const report = (await job.waitUntilFinished(events, 30_000)) as NightlyReport;
      expect(report.notes).toEqual({ read: 2, done: 2, failed: 0, skipped: 0 });
      expect(await createPgNightlyRunStore(db.pool).get(day)).toMatchObject({ state: 'completed' });
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
      await worker.close();
      await obliterate(config.queuePrefix);
    }
  });
});
