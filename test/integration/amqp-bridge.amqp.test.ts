import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Connection, type AsyncMessage } from 'rabbitmq-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PROJECT_ROOT } from '../../src/config.js';
import { ERROR_CODE_HEADER, ERROR_REASON_HEADER, RECORD_ROUTING_KEY } from '../../src/ingest/amqp-bridge.js';
import { bridgeSubmissionId, startBridgeProcess } from '../../src/ingest/start-amqp-bridge.js';
import { ingestCountsKey, ingestDepthKey, registerIngestMetrics } from '../../src/monitoring/ingest-metrics.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createExtractor, type Extractor } from '../../src/extractor.js';
import { dictionaryTagger } from '../helpers/test-app.js';
import { freshSchema, services, tcpProxy, uniqueName } from '../helpers/services.js';

/**
 * The AMQP bridge against the real RabbitMQ, PostgreSQL and Redis: 20,000 notes and 100 malformed messages
 * on a queue of the test's own; the bridge killed (SIGKILL) mid-stream and started again, or its broker
 * connection closed by the broker (rabbitmqctl) mid-run. PostgreSQL must hold every note exactly once, the
 * dead-letter queue every malformed message with its code, the records exchange every record.
 */
const amqpUrl = loadConfig().amqpUrl;
const NOTES = Number(process.env.AMQP_TEST_NOTES ?? 20_000);
const MAX_NOTE_CHARS = 2_000;
const SECRET = 'zebracillin';

const brokerUp = await (async () => {
  const probe = new Connection({ url: amqpUrl, retryLow: 100, retryHigh: 200 });
  probe.on('error', () => {});
  try {
    await probe.onConnect(3_000);
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => {});
  }
})();
const rabbitmqctl = spawnSync('rabbitmqctl', ['--help']).error === undefined;
if ((!brokerUp || !rabbitmqctl) && process.env.CI) throw new Error('CI runs every test: RabbitMQ must run at AMQP_URL and rabbitmqctl be installed (.ci/run installs and starts rabbitmq-server)');
if (!brokerUp) console.log(`RabbitMQ not reachable at AMQP_URL: skipping the AMQP bridge tests`);

const TEXTS = [
  'Pt c/o fever x3d. Dx: typhoid. No h/o asthma. Rx: azithromycin 500mg OD',
  'Patients with lung cancer were treated with cisplatin.',
  'Asthma was managed with inhaled salbutamol.',
  'Known case of type 2 diabetes mellitus on metformin 500 mg BD, presents with burning micturition.',
  'Hypertension controlled on amlodipine 5 mg daily; advised low salt diet.',
];
const noteId = (i: number) => `n${String(i).padStart(5, '0')}`;

/** The 100 malformed messages: 20 of each kind, and the code each must be dead-lettered with. */
function malformed(): { messageId: string; body: unknown; contentType?: string; code: string }[] {
  const kinds = [
    { code: 'NER_ERR_INGEST_MALFORMED_JSON', body: (i: number) => Buffer.from(`{"id": "bad-${i}", "text": "${SECRET}`), contentType: 'application/json' },
    { code: 'NER_ERR_INGEST_BAD_ID', body: (i: number) => ({ text: `no id here ${SECRET}`, seq: i }) },
    { code: 'NER_ERR_INGEST_BAD_TEXT', body: (i: number) => ({ id: `no-text-${i}` }) },
    { code: 'NER_ERR_INGEST_NOTE_TOO_LONG', body: (i: number) => ({ id: `long-${i}`, text: `${SECRET} `.repeat(Math.ceil((MAX_NOTE_CHARS + 1) / (SECRET.length + 1))) }) },
    { code: 'NER_ERR_INGEST_UNSTORABLE_TEXT', body: (i: number) => ({ id: `nul-${i}`, text: `${SECRET}\u0000 fever` }) },
  ];
  return Array.from({ length: 100 }, (_, i) => {
    const kind = kinds[i % kinds.length] as (typeof kinds)[number];
    return { messageId: `bad-${i}`, body: kind.body(i), code: kind.code, ...(kind.contentType ? { contentType: kind.contentType } : {}) };
  });
}

interface Setup {
  notes: number;
  queue: string;
  exchange: string;
  deadLetterQueue: string;
  follow: string;
  prefix: string;
  db: Awaited<ReturnType<typeof freshSchema>>;
  /** Note ids of the records published to the exchange, as the test's follower received them. */
  published: Map<string, number>;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

let admin: Connection;

async function setUp(notes = NOTES, extra: { messageId: string; body: unknown }[] = []): Promise<Setup> {
  const stem = uniqueName('amqp');
  const queue = `${stem}.notes`;
  const exchange = `${stem}.records`;
  const deadLetterQueue = `${stem}.dead`;
  const follow = `${stem}.follow`;
  const prefix = uniqueName('amqp');
  const db = await freshSchema();
  await admin.queueDeclare({ queue, durable: true });
  await admin.exchangeDeclare({ exchange, type: 'topic', durable: true });
  await admin.queueDeclare({ queue: follow, durable: true });
  await admin.queueBind({ queue: follow, exchange, routingKey: RECORD_ROUTING_KEY });
  const published = new Map<string, number>();
  const follower = admin.createConsumer({ queue: follow, queueOptions: { durable: true }, qos: { prefetchCount: 1_000 }, concurrency: 1_000 }, (message: AsyncMessage) => {
    const id = message.messageId as string;
    published.set(id, (published.get(id) ?? 0) + 1);
  });
  follower.on('error', () => {});
  // Notes and malformed messages interleaved, published with confirms.
  const publisher = admin.createPublisher({ confirm: true });
  const bad = malformed();
  const messages: { messageId: string; body: unknown; contentType?: string }[] = Array.from({ length: notes }, (_, i) => ({ messageId: noteId(i), body: { id: noteId(i), text: TEXTS[i % TEXTS.length], source: 'ward-3', seq: i } }));
  bad.forEach((message, i) => messages.splice(Math.floor(((i + 1) * notes) / (bad.length + 1)) + i, 0, message));
  extra.forEach((message, i) => messages.splice(Math.floor(((i + 1) * notes) / (extra.length + 1)), 0, message));
  for (let start = 0; start < messages.length; start += 2_000) {
    await Promise.all(messages.slice(start, start + 2_000).map((m) => publisher.send({ routingKey: queue, durable: true, messageId: m.messageId, ...(m.contentType ? { contentType: m.contentType } : {}) }, m.body)));
  }
  await publisher.close();
  return {
    notes, queue, exchange, deadLetterQueue, follow, prefix, db, published,
    env: {
      AMQP_URL: amqpUrl, AMQP_QUEUE: queue, AMQP_EXCHANGE: exchange, AMQP_DEAD_LETTER_QUEUE: deadLetterQueue, AMQP_PREFETCH: '200',
      DATABASE_SCHEMA: db.schema, QUEUE_PREFIX: prefix, MAX_NOTE_CHARS: String(MAX_NOTE_CHARS), MODEL_RELOAD_POLL_MS: '0', LOG_LEVEL: 'info',
    },
    async cleanup() {
      await follower.close();
      for (const name of [queue, deadLetterQueue, follow]) await admin.queueDelete({ queue: name }).catch(() => {});
      await admin.exchangeDelete({ exchange }).catch(() => {});
      const redis = createRedisConnection(services.redisUrl);
      await redis.del(ingestCountsKey(prefix), ingestDepthKey(prefix)).catch(() => {});
      redis.disconnect();
      await db.drop();
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function storedCount(setup: Setup): Promise<number> {
  const { rows } = await setup.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records');
  return rows[0]?.n ?? 0;
}

const depth = async (queue: string) => (await admin.queueDeclare({ queue, passive: true })).messageCount;

/** Every note stored exactly once, the dead-letter queue's messages, the published records. */
async function expectExactlyOnce(setup: Setup): Promise<void> {
  const { rows } = await setup.db.pool.query<{ note_id: string; job_id: string; record: { noteId: string; entities: unknown[] } }>('SELECT note_id, job_id, record FROM records ORDER BY note_id');
  const expected = Array.from({ length: setup.notes }, (_, i) => noteId(i));
  const storedIds = new Set(rows.map((row) => row.note_id));
  const lost = expected.filter((id) => !storedIds.has(id));
  expect({ rows: rows.length, lost: lost.length }).toEqual({ rows: setup.notes, lost: 0 });
  expect(rows.map((row) => row.note_id)).toEqual(expected);
  expect(new Set(rows.map((row) => row.job_id))).toEqual(new Set([bridgeSubmissionId(setup.queue)]));
  expect(rows.every((row) => row.record.noteId === row.note_id)).toBe(true);
  expect(rows.filter((row) => row.record.entities.length > 0).length).toBeGreaterThan(setup.notes / 2);
  // A note counts done once in its submission, however often it was delivered.
  const { rows: submission } = await setup.db.pool.query<{ done: number; source: string }>('SELECT done, source FROM submissions WHERE id = $1', [bridgeSubmissionId(setup.queue)]);
  expect(submission).toEqual([{ done: setup.notes, source: `amqp:${setup.queue}` }]);
  // Nothing left on the queue; every record followed on the exchange.
  expect(await depth(setup.queue)).toBe(0);
  await waitFor('every record published', async () => (setup.published.size >= setup.notes ? true : undefined), 20_000).catch(async (error: unknown) => {
    throw new Error(`${String(error)}: ${setup.published.size} note ids followed, ${await depth(setup.follow)} left on the follow queue`);
  });
  expect([...setup.published.keys()].sort()).toEqual(expected);
}

async function expectDeadLetters(setup: Setup, extra: [string, string][] = []): Promise<{ total: number; distinct: number }> {
  const bad = new Map([...malformed().map((m): [string, string] => [m.messageId, m.code]), ...extra]);
  const seen = new Map<string, { code: string; reason: string }>();
  let total = 0;
  for (;;) {
    const message = await admin.basicGet({ queue: setup.deadLetterQueue, noAck: true });
    if (!message) break;
    total += 1;
    const headers = message.headers ?? {};
    seen.set(message.messageId as string, { code: String(headers[ERROR_CODE_HEADER]), reason: String(headers[ERROR_REASON_HEADER]) });
  }
  expect(seen.size).toBe(bad.size);
  for (const [messageId, { code, reason }] of seen) {
    expect(code, messageId).toBe(bad.get(messageId));
    expect(reason.length).toBeGreaterThan(5);
    expect(reason).not.toContain(SECRET);
  }
  return { total, distinct: seen.size };
}

describe.skipIf(!brokerUp)('AMQP bridge against RabbitMQ, PostgreSQL and Redis', () => {
  beforeAll(async () => {
    admin = new Connection({ url: amqpUrl, connectionName: uniqueName('behealthy-test-admin') });
    admin.on('error', () => {});
    await admin.onConnect(5_000);
  });
  afterAll(async () => {
    await admin?.close();
  });

  it('20,000 notes, the bridge SIGKILLed mid-stream, started again, stopped by SIGTERM (exit 0) and started again: each note stored once, 100 malformed messages dead-lettered with their codes', async () => {
    const setup = await setUp();
    const children: ChildProcess[] = [];
    const startBridge = (): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/bin.ts'), 'ingest', 'amqp'], { env: { ...process.env, ...setup.env }, stdio: ['ignore', 'pipe', 'inherit'] });
      let log = '';
      child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      Object.assign(child, { log: () => log });
      children.push(child);
      return child;
    };
    try {
      const first = startBridge();
      const before = await waitFor('the first bridge to store 15% of the notes', async () => {
        const n = await storedCount(setup);
        return n >= NOTES * 0.15 ? n : undefined;
      });
      const exited = once(first, 'exit');
      first.kill('SIGKILL');
      await exited;
      const atKill = await storedCount(setup);
      expect(before).toBeLessThan(NOTES);
      expect(atKill).toBeLessThan(NOTES);

      // A second bridge stopped with SIGTERM mid-stream: it stops consuming, finishes what it holds, exits 0.
      const second = startBridge();
      await waitFor('the second bridge to pass half the notes', async () => ((await storedCount(setup)) >= NOTES / 2 ? true : undefined));
      const secondExit = once(second, 'exit');
      const termAt = Date.now();
      second.kill('SIGTERM');
      const [secondCode] = (await secondExit) as [number | null];
      expect(secondCode).toBe(0);
      expect(Date.now() - termAt).toBeLessThan(15_000);
      const atTerm = await storedCount(setup);
      expect(atTerm).toBeLessThan(NOTES);
      const secondLog = (second as unknown as { log(): string }).log();
      expect(secondLog).toContain('AMQP bridge shutting down');

      const third = startBridge();
      await waitFor('every note stored', async () => ((await storedCount(setup)) === NOTES ? true : undefined));
      await waitFor('the queue drained', async () => ((await depth(setup.queue)) === 0 ? true : undefined));
      await waitFor('the dead-letter queue filled', async () => ((await depth(setup.deadLetterQueue)) >= 100 ? true : undefined));
      const thirdExit = once(third, 'exit');
      third.kill('SIGTERM');
      const [code] = (await thirdExit) as [number | null];
      expect(code).toBe(0);
      const log = secondLog + (third as unknown as { log(): string }).log();
      for (const text of TEXTS) expect(log).not.toContain(text.slice(0, 20));
      expect(log).not.toContain(SECRET);

      await expectExactlyOnce(setup);
      const dead = await expectDeadLetters(setup);
      console.log(JSON.stringify({ test: 'amqp-sigkill', notes: NOTES, stored_at_kill: atKill, stored_at_sigterm: atTerm, records: await storedCount(setup), dead_lettered: dead.total, dead_distinct: dead.distinct, published: [...setup.published.values()].reduce((a, b) => a + b, 0) }));
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await setup.cleanup();
    }
  }, 240_000);

  it.skipIf(!rabbitmqctl)('the broker closes the connection mid-run (rabbitmqctl close_connection): the bridge reconnects and the same counts hold', async () => {
    const setup = await setUp();
    const lines: { msg: string; reconnected?: boolean }[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as { msg: string }); done(); } }));
    const connectionName = uniqueName('behealthy-test-bridge');
    const config = { ...loadConfig({ ...process.env, ...setup.env }), modelReloadPollMs: 0 };
    // The dictionary tagger: what is under test here is the broker connection, not the model.
    const running = await startBridgeProcess(config, { logger, connectionName, extractor: createExtractor(dictionaryTagger) });
    let closed = false;
    try {
      await waitFor('a quarter of the notes stored', async () => ((await storedCount(setup)) >= NOTES / 4 ? true : undefined));
      const listed = spawnSync('rabbitmqctl', ['list_connections', '--no-table-headers', 'pid', 'client_properties'], { encoding: 'utf8' });
      const pids = listed.stdout.split('\n').filter((line) => line.includes(connectionName)).map((line) => line.split('\t')[0] as string);
      expect(pids).toHaveLength(1);
      const close = spawnSync('rabbitmqctl', ['close_connection', pids[0] as string, 'test: connection dropped'], { encoding: 'utf8' });
      expect(close.status, close.stderr).toBe(0);
      const atDrop = await storedCount(setup);
      expect(atDrop).toBeLessThan(NOTES);
      await waitFor('the bridge to reconnect', async () => (lines.some((line) => line.msg === 'AMQP connected' && line.reconnected === true) ? true : undefined), 30_000);
      await waitFor('every note stored', async () => ((await storedCount(setup)) === NOTES ? true : undefined));
      await waitFor('the queue drained', async () => ((await depth(setup.queue)) === 0 ? true : undefined));
      await waitFor('the dead-letter queue filled', async () => ((await depth(setup.deadLetterQueue)) >= 100 ? true : undefined));
      await running.close();
      closed = true;
      await expectExactlyOnce(setup);
      const dead = await expectDeadLetters(setup);
      expect(lines.some((line) => line.msg === 'AMQP connection error; reconnecting with backoff')).toBe(true);
      expect(JSON.stringify(lines)).not.toContain(SECRET);

      // /metrics, as the API reports what the bridge wrote to Redis.
      const redis = createRedisConnection(services.redisUrl);
      try {
        await redis.connect();
        const registry = new Registry();
        registerIngestMetrics(registry, { redis, prefix: setup.prefix });
        const metrics = await registry.getMetricsAsJSON();
        const value = (name: string, labels: Record<string, string>) =>
          (metrics.find((m) => m.name === name)?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
        expect(value('behealthy_amqp_messages_total', { event: 'acked' })).toBeGreaterThanOrEqual(NOTES + 100);
        expect(value('behealthy_amqp_messages_total', { event: 'consumed' })).toBeGreaterThanOrEqual(NOTES + 100);
        expect(value('behealthy_amqp_messages_total', { event: 'published' })).toBeGreaterThanOrEqual(NOTES);
        expect(value('behealthy_amqp_messages_total', { event: 'dead_lettered' })).toBe(dead.total);
        expect(value('behealthy_amqp_dead_lettered_total', { code: 'NER_ERR_INGEST_NOTE_TOO_LONG' })).toBeGreaterThanOrEqual(20);
        expect(value('behealthy_amqp_queue_messages', { queue: setup.queue })).toBeTypeOf('number');
        console.log(JSON.stringify({ test: 'amqp-connection-drop', notes: NOTES, stored_at_drop: atDrop, dead_lettered: dead.total, consumed: value('behealthy_amqp_messages_total', { event: 'consumed' }), published: value('behealthy_amqp_messages_total', { event: 'published' }) }));
      } finally {
        redis.disconnect();
      }
    } finally {
      if (!closed) await running.close().catch(() => {});
      await setup.cleanup();
    }
  }, 240_000);

  it('PostgreSQL cut off mid-run: the batch in hand is retried until it is back, its messages unacknowledged; a note whose extraction throws is dead-lettered, not redelivered forever', async () => {
    const notes = 4_000;
    const setup = await setUp(notes, [{ messageId: 'boom-1', body: { id: 'boom-1', text: 'BOOM: this note makes extraction throw' } }]);
    const proxy = await tcpProxy({ host: new URL(services.databaseUrl).hostname, port: Number(new URL(services.databaseUrl).port || 5432) });
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as { msg: string }); done(); } }));
    const real = createExtractor(dictionaryTagger);
    const throwing = (extractor: Extractor): Extractor => ({
      get modelVersion() {
        return extractor.modelVersion;
      },
      extract: (text, id, options) => (text.startsWith('BOOM') ? Promise.reject(new Error('a defect')) : extractor.extract(text, id, options)),
      pinned: () => throwing(extractor.pinned()),
    });
    const config = { ...loadConfig({ ...process.env, ...setup.env }), databaseUrl: proxy.url(services.databaseUrl), modelReloadPollMs: 0 };
    const running = await startBridgeProcess(config, { logger, extractor: throwing(real) });
    try {
      await waitFor('a quarter of the notes stored', async () => ((await storedCount(setup)) >= notes / 4 ? true : undefined));
      proxy.cut();
      const atCut = await storedCount(setup);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // Nothing commits while PostgreSQL is unreachable (a commit already sent may land).
      expect(await storedCount(setup)).toBeLessThanOrEqual(atCut + 100);
      expect(await storedCount(setup)).toBeLessThan(notes);
      expect(lines.some((line) => line.msg === 'storing a batch failed; trying again (its messages stay unacknowledged)')).toBe(true);
      proxy.restore();
      await waitFor('every note stored', async () => ((await storedCount(setup)) === notes ? true : undefined));
      await waitFor('the queue drained', async () => ((await depth(setup.queue)) === 0 ? true : undefined));
      await waitFor('the dead-letter queue filled', async () => ((await depth(setup.deadLetterQueue)) >= 101 ? true : undefined));
      await running.close();
      await expectExactlyOnce(setup);
      await expectDeadLetters(setup, [['boom-1', 'NER_ERR_INGEST_EXTRACTION_FAILED']]);
      expect(lines.some((line) => line.msg === 'extracting a note failed')).toBe(true);
    } finally {
      await running.close().catch(() => {});
      await proxy.close();
      await setup.cleanup();
    }
  }, 120_000);
});
