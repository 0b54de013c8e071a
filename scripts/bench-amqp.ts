/**
 * Part of npm run bench (scripts/bench.ts), right after `queue`; alone: node --import tsx scripts/bench-amqp.ts [--notes 100000] [--bridges 2]
 *
 * amqp: the same realistic notes as the `queue` bench, published one per message to a RabbitMQ queue (AMQP_URL)
 * with publisher confirms, consumed by two bridge processes (`behealthy ingest amqp`, as many as the queue bench's
 * workers) into PostgreSQL, end to end (first publish to the last note stored and the queue drained). Every
 * record is also published to an exchange, which a queue of the bench's own follows. Runs in a schema, queue
 * prefix and broker names of its own, removed afterwards. lost = notes without a record; duplicated = records
 * beyond one per note id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { ingestCountsKey, ingestDepthKey } from '../src/monitoring/ingest-metrics.js';
import { createRedisConnection } from '../src/queue/redis-connection.js';
import { createDatabasePool } from '../src/store/database.js';
import { quoteIdentifier } from '../src/store/migrate.js';
import { realisticNotes } from './realistic-notes.js';

const { values } = parseArgs({ options: { notes: { type: 'string', default: '100000' }, bridges: { type: 'string', default: '2' }, only: { type: 'string' } } });
if (values.only && !values.only.split(',').includes('amqp')) process.exit(0);
const total = Number(values.notes);
const bridgeCount = Number(values.bridges);
const config = loadConfig();
const suffix = `${Date.now().toString(36)}${process.pid}`;
const schema = `bench_${suffix}`;
const prefix = `bench${suffix}`;
const queue = `bench.${suffix}.notes`;
const exchange = `bench.${suffix}.records`;
const deadLetterQueue = `bench.${suffix}.dead`;
const follow = `bench.${suffix}.follow`;
const env = {
  ...process.env, DATABASE_SCHEMA: schema, QUEUE_PREFIX: prefix, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  AMQP_QUEUE: queue, AMQP_EXCHANGE: exchange, AMQP_DEAD_LETTER_QUEUE: deadLetterQueue,
};

const texts = await realisticNotes(config.corpusDir);
const broker = new Connection({ url: config.amqpUrl, connectionName: `behealthy-bench-${suffix}` });
broker.on('error', () => {});
await broker.onConnect(10_000);
await broker.queueDeclare({ queue, durable: true });
await broker.exchangeDeclare({ exchange, type: 'topic', durable: true });
await broker.queueDeclare({ queue: follow, durable: true });
await broker.queueBind({ queue: follow, exchange, routingKey: 'record' });

const children: ChildProcess[] = [];
const pool = createDatabasePool(config.databaseUrl, { schema, max: 2 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
try {
  for (let i = 0; i < bridgeCount; i++) {
    children.push(spawn(process.execPath, [join(PROJECT_ROOT, 'dist/cli/bin.js'), 'ingest', 'amqp'], { env, stdio: ['ignore', process.env.BENCH_LOGS ? 'inherit' : 'ignore', 'inherit'] }));
  }
  // Every bridge consuming (each migrates the schema and loads the model first).
  for (let attempt = 0; (await broker.queueDeclare({ queue, passive: true })).consumerCount < bridgeCount; attempt++) {
    if (attempt > 600) throw new Error('the bridges did not start consuming');
    await sleep(100);
  }

  const publisher = broker.createPublisher({ confirm: true });
  const started = performance.now();
  for (let offset = 0; offset < total; offset += 5_000) {
    await Promise.all(
      Array.from({ length: Math.min(5_000, total - offset) }, (_, i) => {
        const id = `bench-${offset + i}`;
        return publisher.send({ routingKey: queue, durable: true, messageId: id }, { id, text: texts[(offset + i) % texts.length], source: 'bench' });
      }),
    );
  }
  const publishedSeconds = (performance.now() - started) / 1000;
  await publisher.close();
  for (let attempt = 0; ; attempt++) {
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM records WHERE note_id LIKE 'bench-%'");
    const left = (await broker.queueDeclare({ queue, passive: true })).messageCount;
    if (rows[0]?.n === total && left === 0) break;
    if (attempt > 20 * 600) throw new Error('the bridges did not store every note within 10 minutes');
    await sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await pool.query<{ records: number; notes: number }>("SELECT count(*)::int AS records, count(DISTINCT note_id)::int AS notes FROM records WHERE note_id LIKE 'bench-%'");
  const published = (await broker.queueDeclare({ queue: follow, passive: true })).messageCount;
  const deadLettered = (await broker.queueDeclare({ queue: deadLetterQueue, passive: true })).messageCount;
  console.log(JSON.stringify({
    bench: 'amqp',
    notes: total,
    notes_per_s: Math.round(total / seconds),
    seconds: Number(seconds.toFixed(1)),
    publish_seconds: Number(publishedSeconds.toFixed(1)),
    records_published: published,
    dead_lettered: deadLettered,
    lost: total - (rows[0]?.notes ?? 0),
    duplicated: (rows[0]?.records ?? 0) - (rows[0]?.notes ?? 0),
    bridge_processes: bridgeCount,
    prefetch: config.amqpPrefetch,
    batch_size: config.jobBatchSize,
  }));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
  for (const name of [queue, deadLetterQueue, follow]) await broker.queueDelete({ queue: name }).catch(() => {});
  await broker.exchangeDelete({ exchange }).catch(() => {});
  await broker.close();
  const redis = createRedisConnection(config.redisUrl, { forBullmq: true });
  await redis.del(ingestCountsKey(prefix), ingestDepthKey(prefix)).catch(() => {});
  redis.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await pool.end();
}
