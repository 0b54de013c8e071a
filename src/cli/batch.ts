import { servingLoadOptions } from '../registry/serving-options.js';
import { pino } from 'pino';
import { createRedisConnection } from '../queue/redis-connection.js';
import { createNightlyDeps } from '../queue/nightly-service.js';
import { previousDay, runNightly } from '../queue/nightly-run.js';
import { nightlyDriftCheck, startWorker } from '../queue/start-worker.js';
import { loadModel } from '../registry/model-store.js';
import { assertDay } from '../corpus/inbox.js';
import { createDatabasePool } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createPgRecordStore } from '../store/record-store.js';
import { parseCommandArgs, type Command } from './command.js';
import { createProgress, type Progress } from './progress.js';

const usage = 'behealthy batch [--date YYYY-MM-DD] [--no-worker] [--json]   (INBOX_DIR, OUTBOX_DIR, REDIS_URL, DATABASE_URL)';

/**
 * A nightly run by hand (a catch-up, or a re-run): the day's inbox through the extract queue into
 * PostgreSQL and the outbox. It starts a queue worker in this process unless --no-worker (workers elsewhere
 * do the extraction). Running a day again, or after this process was killed, neither loses nor repeats notes.
 */
export const batchCommand: Command = {
  name: 'batch',
  summary: 'run the nightly batch for a day: inbox notes → records in PostgreSQL, records.jsonl and a report in the outbox',
  usage,
  async run(argv, context) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, 'no-worker': { type: 'boolean' }, json: { type: 'boolean' } }, usage);
    const { config, stdout, stderr } = context;
    const day = values.date ?? previousDay(new Date(), config.nightlyTimeZone);
    assertDay(day);
    const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, viaPgBouncer: config.databasePgBouncer, max: 2 });
    const redis = createRedisConnection(config, { forBullmq: true });
    // The in-process worker logs to stderr, warnings only unless LOG_LEVEL asks for more: stdout is the summary.
    const logger = pino({ level: ['debug', 'trace'].includes(config.logLevel) ? config.logLevel : 'warn', base: { role: 'batch' } }, pino.destination(2));
    const worker = values['no-worker'] ? undefined : await startWorker(config, { logger });
    const drift = nightlyDriftCheck(config, await loadModel(config.modelDir, undefined, await servingLoadOptions(config)), logger);
    const nightly = createNightlyDeps(config, { redis, pool, store: createPgRecordStore(pool), ...(drift ? { drift } : {}) });
    let progress: Progress | undefined;
    try {
      await migrate(pool, config.databaseSchema);
      const report = await runNightly(day, {
        ...nightly,
        onProgress: ({ total, done, failed }) => {
          progress ??= createProgress(`batch ${day}`, total, stderr);
          progress.update(done + failed, failed > 0 ? `(${failed} failed)` : '');
        },
      });
      progress?.finish(`${report.notesPerSecond} notes/s`);
      const summary = {
        day, jobId: report.jobId, notes: report.notes, notesPerSecond: report.notesPerSecond, seconds: report.seconds,
        entities: report.entities, drift: driftSummary(report.drift), outbox: `${config.outboxDir}/${day}`,
      };
      stdout.write(`${JSON.stringify(values.json ? report : summary, null, values.json ? 2 : undefined)}\n`);
      return report.notes.done + report.notes.failed === report.notes.read ? 0 : 1;
    } finally {
      await nightly.close();
      await worker?.close();
      redis.disconnect();
      await pool.end();
    }
  },
};

/** The drift headline for the summary line (report.json keeps the bins). */
function driftSummary(drift: unknown): unknown {
  const d = drift as { score?: number; level?: string; drivenBy?: string; features?: { name: string; score: number }[] } | null;
  if (!d || typeof d.score !== 'number') return drift;
  return { score: Number(d.score.toFixed(4)), level: d.level, drivenBy: d.drivenBy, features: Object.fromEntries((d.features ?? []).map((f) => [f.name, Number(f.score.toFixed(4))])) };
}
