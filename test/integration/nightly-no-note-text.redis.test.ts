import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createNightlyDeps } from '../../src/queue/nightly-service.js';
import { runNightly } from '../../src/queue/nightly-run.js';
import { extractQueue } from '../../src/queue/queues.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { startWorker } from '../../src/queue/start-worker.js';
import { createPgNightlyRunStore } from '../../src/store/nightly-run-store.js';
import { createPgRecordStore } from '../../src/store/record-store.js';
import { runCli } from '../helpers/cli.js';
import { freshSchema, uniqueName } from '../helpers/services.js';
import { testApp } from '../helpers/test-app.js';

/**
 * A nightly day whose bad lines and records all hold a recognisable secret: the good notes around them are
 * processed, each bad one is reported with its file and line, and the secret is in none of the outputs
 * (report.json, report.html, records.jsonl, nightly_runs, GET /v1/nightly/:day, the logs), nor in what the
 * CLI says of the same lines (extract --file, corrections import).
 */
const SECRET = 'ZEBRA-7731-Jane-Roe';
const DAY = '2026-04-02';
const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;

describe('nightly run over bad lines holding note text', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let dirs: string;
  let config: Config;
  beforeAll(async () => {
    db = await freshSchema();
    dirs = await mkdtemp(join(tmpdir(), 'nightly-secret-'));
    config = { ...loadConfig(), databaseSchema: db.schema, inboxDir: join(dirs, 'inbox'), outboxDir: join(dirs, 'outbox'), queuePrefix: uniqueName('nsecret'), jobBatchSize: 50, recordTextRetentionDays: 30 };
  });
  afterAll(async () => {
    const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
    const queue = extractQueue(redis, config);
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    await db.drop();
    await rm(dirs, { recursive: true, force: true });
  });

  it('keeps the good notes, reports every bad line by file and line, and quotes none of them anywhere', async () => {
    const folder = join(config.inboxDir, DAY);
    await mkdir(folder, { recursive: true });
    const good = (stem: string, count: number) => Array.from({ length: count }, (_, i) => `${stem}-${i},${quote(`Asthma, treated with salbutamol (visit ${i}).`)}`);
    // 100 good notes, then a last record whose quote is never closed.
    await writeFile(join(folder, 'a-export.csv'), `id,text\n${good('a', 100).join('\n')}\nlast,"${SECRET} opened and never closed\n`);
    // Bad records between good ones: an unclosed quote, too many fields, a quote inside an unquoted field.
    const mixed = [...good('b', 3), `b-bad1,"${SECRET} unclosed`, ...good('b2', 3), `b-bad2,${SECRET}, more, fields`, `b-bad3,ab"${SECRET}`, ...good('b3', 3)];
    await writeFile(join(folder, 'b-export.csv'), `\uFEFFid,text\r\n${mixed.join('\r\n')}\r\n`);
    const jsonl = [
      `${SECRET} is not JSON`,
      JSON.stringify({ id: 'c-0', text: 'Typhoid fever treated with azithromycin.' }),
      `{"id": "c-bad1", "text": "${SECRET}`,
      `{"id": "c-bad2", "text": "${SECRET}" x}`,
      `{"id": "c-bad3", "text": "${SECRET}\\q"}`,
      `{"id": "c-bad4", "text": "${SECRET}\tx"}`,
      `["${SECRET}",]`,
      JSON.stringify({ id: 'c-1', text: 'Gout, on allopurinol.' }),
    ];
    await writeFile(join(folder, 'c-export.jsonl'), `${jsonl.join('\n')}\n`);
    // A record past RECORD_TEXT_RETENTION_DAYS, whose text the run purges.
    const oldJob = randomUUID();
    await db.pool.query("INSERT INTO submissions (id, notes, batches, source) VALUES ($1, 1, 1, 'api')", [oldJob]);
    await db.pool.query("INSERT INTO records (note_id, job_id, model_version, processed_at, record, text) VALUES ('old-1', $1, 'm', now() - interval '40 days', '{}', 'an old note')", [oldJob]);

    const logLines: string[] = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
    const logger = pino({ level: 'debug' }, logStream);
    const worker = await startWorker(config, { logger });
    const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
    const nightly = createNightlyDeps(config, { redis, pool: db.pool, store: createPgRecordStore(db.pool) });
    const api = await testApp({ nightlyRuns: createPgNightlyRunStore(db.pool) });
    try {
      const report = await runNightly(DAY, { ...nightly, pollMs: 100 });
      expect(report.notes).toEqual({ read: 111, done: 111, failed: 0, skipped: 10 });
      expect(report.inboxFiles.map((f) => [f.name, f.notes])).toEqual([['a-export.csv', 100], ['b-export.csv', 9], ['c-export.jsonl', 2]]);
      expect(report.failures.map((f) => `${f.file}:${f.line}`)).toEqual([
        'a-export.csv:102',
        'b-export.csv:5', 'b-export.csv:9', 'b-export.csv:10',
        'c-export.jsonl:1', 'c-export.jsonl:3', 'c-export.jsonl:4', 'c-export.jsonl:5', 'c-export.jsonl:6', 'c-export.jsonl:7',
      ]);
      expect(report.failures.find((f) => f.line === 4 && f.file === 'c-export.jsonl')?.reason).toBe("not valid JSON: expected ',' or '}' after a property value (column 48)");
      expect(report.textRetention).toEqual({ days: 30, recordTextsPurged: 1 });
      expect((await db.pool.query("SELECT text FROM records WHERE note_id = 'old-1'")).rows[0].text).toBeNull();

      const outbox = join(config.outboxDir, DAY);
      const stored = await db.pool.query<{ report: string }>('SELECT report::text AS report FROM nightly_runs WHERE day = $1', [DAY]);
      const served = await api.app.inject({ url: `/v1/nightly/${DAY}` });
      expect(served.statusCode).toBe(200);
      const outputs: Record<string, string> = {
        'report.json': await readFile(join(outbox, 'report.json'), 'utf8'),
        'report.html': await readFile(join(outbox, 'report.html'), 'utf8'),
        'records.jsonl': await readFile(join(outbox, 'records.jsonl'), 'utf8'),
        nightly_runs: stored.rows[0]?.report ?? '',
        'GET /v1/nightly/:day': served.body,
        'worker log': logLines.join(''),
        'API log': api.logs(),
      };
      expect(outputs['report.html']).toContain('a-export.csv:102');
      for (const [name, text] of Object.entries(outputs)) {
        expect(text.length, name).toBeGreaterThan(0);
        expect(text, name).not.toContain(SECRET.slice(0, 5));
      }
    } finally {
      await api.app.close();
      await nightly.close();
      await worker.close();
      redis.disconnect();
    }

    const extracted = await runCli(['extract', '--file', join(folder, 'c-export.jsonl')]);
    expect(extracted.code).toBe(0);
    expect(extracted.stderr).toMatch(/c-export\.jsonl:3: skipped: not valid JSON: a string is not closed \(column 26\)/);
    expect(`${extracted.stdout}${extracted.stderr}`).not.toContain(SECRET.slice(0, 5));
    const imported = await runCli(['corrections', 'import', join(folder, 'c-export.jsonl')]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/c-export\.jsonl:1: line is not valid JSON: an unexpected character/);
    expect(imported.stderr).not.toContain(SECRET.slice(0, 5));
  });
});
