import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from '../../src/config.js';
import { isNerError } from '../../src/errors.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (isNerError(error, 'NER_ERR_CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected NER_ERR_CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('has working defaults for every variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1', port: 3000, apiKeys: [], maxNoteChars: 100_000, maxBatchNotes: 100, extractSliceTokens: 2_000,
      redisUrl: 'redis://127.0.0.1:6379', logLevel: 'info',
    });
    expect(config.databaseUrl).toMatch(/^postgres:\/\//);
  });

  it('parses the server variables', () => {
    const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', API_KEYS: ' aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb ,', RATE_LIMIT_PER_MINUTE: '0', MAX_NOTE_CHARS: '500', REDIS_URL: 'rediss://r:6380' });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', apiKeys: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb'], rateLimitPerMinute: 0, maxNoteChars: 500, redisUrl: 'rediss://r:6380' });
  });

  it('parses Redis Sentinel and Redis Cluster; a cluster hash-tags the queue prefix; PgBouncer and pool sizes', () => {
    expect(loadConfig({})).toMatchObject({ redisSentinels: [], redisSentinelName: '', redisClusterNodes: [], queuePrefix: 'behealthy', databasePgBouncer: false, databasePoolMax: 4 });
    const sentinel = loadConfig({ REDIS_SENTINELS: 's1:26379, 10.0.0.2:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'bh' });
    expect(sentinel).toMatchObject({ redisSentinels: [{ host: 's1', port: 26379 }, { host: '10.0.0.2', port: 26380 }, { host: '::1', port: 26381 }], redisSentinelName: 'bh', queuePrefix: 'behealthy' });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7001', QUEUE_PREFIX: 'nightly_a' });
    expect(cluster).toMatchObject({ redisClusterNodes: [{ host: 'r1', port: 7000 }, { host: 'r2', port: 7001 }], queuePrefix: '{nightly_a}' });
    expect(loadConfig({ DATABASE_PGBOUNCER: 'true', DATABASE_POOL_MAX: '20' })).toMatchObject({ databasePgBouncer: true, databasePoolMax: 20 });
    const message = problemsOf({ REDIS_SENTINELS: 's1', REDIS_CLUSTER_NODES: 'r1:70000', DATABASE_PGBOUNCER: 'maybe', DATABASE_POOL_MAX: '0' });
    for (const name of ['REDIS_SENTINELS:', 'REDIS_CLUSTER_NODES:', 'DATABASE_PGBOUNCER:', 'DATABASE_POOL_MAX:']) expect(message).toContain(name);
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379' })).toContain('REDIS_SENTINEL_NAME:');
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'bh' })).toContain('REDIS_SENTINELS:');
    expect(problemsOf({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'bh', REDIS_CLUSTER_NODES: 'r1:7000' })).toContain('not both');
  });

  it('fails listing every bad variable at once, without printing a password', () => {
    const message = problemsOf({ PORT: 'eighty', MAX_NOTE_CHARS: '0', API_KEYS: 'short', REDIS_URL: 'http://x', DATABASE_URL: 'mysql://u:hunter2@db/x', LOG_LEVEL: 'loud', CORPUS_DIR: ' ' });
    for (const name of ['PORT', 'MAX_NOTE_CHARS', 'API_KEYS', 'REDIS_URL', 'DATABASE_URL', 'LOG_LEVEL', 'CORPUS_DIR']) expect(message).toContain(`${name}:`);
    expect(message).not.toContain('hunter2');
  });

  it('parses the nightly and drift variables, and rejects bad ones together', () => {
    const config = loadConfig({ NIGHTLY_CRON: '30 1 * * 1-5', TZ: 'Asia/Kolkata', DRIFT_RETRAIN_AT: '0.06' });
    expect(config).toMatchObject({ nightlyCron: '30 1 * * 1-5', nightlyTimeZone: 'Asia/Kolkata', driftThresholds: { watch: 0.02, retrain: 0.06, alert: 0.1 } });
    expect(loadConfig({})).toMatchObject({ nightlyCron: '0 2 * * *', nightlyTimeZone: 'UTC' });
    const message = problemsOf({ NIGHTLY_CRON: 'at two', TZ: 'Mars/Olympus', DRIFT_ALERT_AT: '1.5' });
    for (const name of ['NIGHTLY_CRON', 'TZ', 'DRIFT_ALERT_AT']) expect(message).toContain(`${name}:`);
    expect(problemsOf({ DRIFT_WATCH_AT: '0.2' })).toContain('must not decrease');
  });

  it('parses the retention of note text, and rejects bad values together', () => {
    expect(loadConfig({})).toMatchObject({ queueKeepCompletedSeconds: 86_400, queueKeepFailedSeconds: 604_800, recordTextRetentionDays: 0 });
    expect(loadConfig({ QUEUE_KEEP_COMPLETED_SECONDS: '0', QUEUE_KEEP_FAILED_SECONDS: '3600', RECORD_TEXT_RETENTION_DAYS: '30' })).toMatchObject({
      queueKeepCompletedSeconds: 0, queueKeepFailedSeconds: 3_600, recordTextRetentionDays: 30,
    });
    const message = problemsOf({ QUEUE_KEEP_COMPLETED_SECONDS: '-1', QUEUE_KEEP_FAILED_SECONDS: '0', RECORD_TEXT_RETENTION_DAYS: '1.5' });
    for (const name of ['QUEUE_KEEP_COMPLETED_SECONDS', 'QUEUE_KEEP_FAILED_SECONDS', 'RECORD_TEXT_RETENTION_DAYS']) expect(message).toContain(`${name}:`);
  });

  it('parses the AMQP bridge variables, and rejects bad ones together without printing a password', () => {
    expect(loadConfig({})).toMatchObject({
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', amqpQueue: 'behealthy.notes', amqpExchange: 'behealthy.records', amqpDeadLetterQueue: 'behealthy.notes.dead', amqpPrefetch: 200,
    });
    expect(loadConfig({ AMQP_URL: 'amqps://u:p@mq:5671/vh', AMQP_QUEUE: 'pharmacy.notes', AMQP_EXCHANGE: 'ner:records', AMQP_DEAD_LETTER_QUEUE: 'pharmacy.notes-dead', AMQP_PREFETCH: '50' })).toMatchObject({
      amqpUrl: 'amqps://u:p@mq:5671/vh', amqpQueue: 'pharmacy.notes', amqpExchange: 'ner:records', amqpDeadLetterQueue: 'pharmacy.notes-dead', amqpPrefetch: 50,
    });
    const message = problemsOf({ AMQP_URL: 'http://u:hunter2@mq', AMQP_QUEUE: 'has space', AMQP_EXCHANGE: 'amq.topic', AMQP_DEAD_LETTER_QUEUE: 'x'.repeat(256), AMQP_PREFETCH: '0' });
    for (const name of ['AMQP_URL', 'AMQP_QUEUE', 'AMQP_EXCHANGE', 'AMQP_DEAD_LETTER_QUEUE', 'AMQP_PREFETCH']) expect(message).toContain(`${name}:`);
    expect(message).not.toContain('hunter2');
    expect(problemsOf({ AMQP_QUEUE: 'notes', AMQP_DEAD_LETTER_QUEUE: 'notes' })).toContain('must differ');
  });

  it('parses the memory bounds of an API process: characters extracted at once and the V8 heap limit', () => {
    expect(loadConfig({})).toMatchObject({ extractMaxCharsInFlight: 200_000, apiHeapLimitMb: 256 });
    expect(loadConfig({ EXTRACT_MAX_CHARS_IN_FLIGHT: '0', API_HEAP_LIMIT_MB: '0' })).toMatchObject({ extractMaxCharsInFlight: 0, apiHeapLimitMb: 0 });
    const message = problemsOf({ EXTRACT_MAX_CHARS_IN_FLIGHT: '-5', API_HEAP_LIMIT_MB: '64' });
    for (const name of ['EXTRACT_MAX_CHARS_IN_FLIGHT', 'API_HEAP_LIMIT_MB']) expect(message).toContain(`${name}:`);
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('not a url://u:secret@h')).not.toContain('secret');
  });
});
