/**
 * Benchmarks, one JSON line per figure so runs can be compared:  npm run bench [-- --only api-extract]
 * Each runs in a process of its own, in this order:
 *   extract-core   single-thread extract() throughput (scripts/bench-extract-core.ts)
 *   api-extract    HTTP throughput and latency against a locally started server (scripts/bench-api.ts)
 *   long-note      how long short requests wait behind 30,000-character notes (scripts/bench-api.ts)
 *   api-mixed      RSS of one API process under 60 s of 95% short and 5% 30,000-character notes (scripts/bench-api.ts)
 *   api-p99        /v1/extract p50/p99 as served, with concept codes off, and with the model production replaced
 *   queue          100,000 notes through POST /v1/jobs, two workers, into PostgreSQL (scripts/bench-queue.ts)
 *   amqp           the same notes published to RabbitMQ, two AMQP bridge processes, into PostgreSQL (scripts/bench-amqp.ts)
 *   queue          100,000 notes through POST /v1/jobs, two workers, into PostgreSQL (scripts/bench-queue.ts),
 *                  with the capacity figures (CPU, RSS, Redis bytes per queued note, PostgreSQL bytes per record)
 *   queue-pgbouncer  the same through PgBouncer in transaction pooling, as a ratio of queue's notes/s
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const BENCHES = [
  { names: ['extract-core'], script: 'bench-extract-core.ts' },
  { names: ['api-extract', 'long-note', 'api-mixed', 'api-p99'], script: 'bench-api.ts' },
  { names: ['queue', 'queue-pgbouncer'], script: 'bench-queue.ts' },
  { names: ['amqp'], script: 'bench-amqp.ts' },
];

const { values } = parseArgs({ options: { only: { type: 'string' } }, allowPositionals: true, strict: false });
const only = typeof values.only === 'string' ? values.only.split(',') : undefined;
let failed = false;
for (const bench of BENCHES) {
  if (only && !bench.names.some((name) => only.includes(name))) continue;
  const args = ['--import', 'tsx', join(import.meta.dirname, bench.script), ...(only ? [`--only=${only.join(',')}`] : [])];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench ${bench.script} failed (exit ${result.status ?? result.signal})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
