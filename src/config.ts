import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NerError } from './errors.js';

/**
 * The one place that reads process.env. Every variable is parsed and validated up front; a bad
 * configuration fails once, listing every bad variable, instead of one at a time at first use.
 */

/** The repository root (two levels up from src/config.ts or dist/config.js). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface Config {
  /** Annotated corpus directory (BeHealthy format). */
  corpusDir: string;
  /** The annotated corpora, one folder each as their mappings (corpus/mappings/) name them. */
  corporaDir: string;
  /** Model versions and the production pointer. */
  modelDir: string;
  /**
   * How often (ms) API and worker processes re-read the production pointer, besides watching it: a newly
   * promoted version is loaded, verified and swapped in without a restart. 0 turns hot reload off.
   */
  modelReloadPollMs: number;
  /** Experiment runs (train, tuning trials, tunes, retrainings): one JSON file each (src/registry/runs.ts). */
  runsDir: string;
  /** Open vocabularies: gazetteers at training time; concept codes (icd10cm.tsv, doid.tsv, drugs.tsv) when serving. */
  lexiconDir: string;
  /** Whether serving processes code entities (ICD-10-CM, DOID, DrugBank) from lexiconDir's vocabularies. */
  conceptCodes: boolean;
  /** Unlabelled clinical notes (MTSamples CSV) for benchmarks. */
  notesFile: string;
  /** A deployment's own brand list (data/README.md's format), read besides the shipped data/brands.tsv; null: none. */
  brandsFile: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** HTTP server. */
  host: string;
  /** API worker processes (node:cluster) sharing the port; 1 serves from the one process. */
  webConcurrency: number;
  port: number;
  /** API keys; empty means the /v1 routes are open (local use). */
  apiKeys: string[];
  /** Requests per minute per API key (or per client address when keys are off); 0 turns limiting off. */
  rateLimitPerMinute: number;
  /** Longest note accepted, in characters (UTF-16 code units). */
  maxNoteChars: number;
  /** Most notes in one POST /v1/extract/batch. */
  maxBatchNotes: number;
  /** Largest request body, in bytes. */
  bodyLimitBytes: number;
  /** Tokens tagged between turns of the event loop on a long note; 0 tags a note in one go. */
  extractSliceTokens: number;
  /** Characters of notes an API process extracts at once (sliced notes interleave); more wait their turn. 0: no limit. */
  extractMaxCharsInFlight: number;
  /** V8 heap limit of each API serving process, in MB (node --max-old-space-size); 0 leaves V8's own. */
  apiHeapLimitMb: number;
  /** How long a SIGTERM waits for in-flight requests before exiting anyway. */
  shutdownTimeoutMs: number;
  redisUrl: string;
  /**
   * Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): the sentinels asked for the current primary of the
   * named master; empty when Redis is one server or a cluster. REDIS_URL's password and TLS (rediss:) still apply.
   */
  redisSentinels: HostPort[];
  redisSentinelName: string;
  /** Redis Cluster (REDIS_CLUSTER_NODES): some nodes of the cluster; empty otherwise. QUEUE_PREFIX is then hash-tagged. */
  redisClusterNodes: HostPort[];
  databaseUrl: string;
  /**
   * PostgreSQL is reached through PgBouncer in transaction pooling: DATABASE_SCHEMA is not sent as a startup
   * option (PgBouncer refuses it); the server's search_path must name it (migrations check).
   */
  databasePgBouncer: boolean;
  /** Connections each API process keeps to PostgreSQL (or PgBouncer); a worker keeps WORKER_CONCURRENCY + 1. */
  databasePoolMax: number;
  /** PostgreSQL schema of the tables (tests use a fresh one per run). */
  databaseSchema: string;
  /**
   * Prefix of every BullMQ key in Redis (tests use their own). With Redis Cluster it is QUEUE_PREFIX in braces,
   * `{behealthy}`: a hash tag, so that every key of a queue is in one slot, as BullMQ's scripts need.
   */
  queuePrefix: string;
  /** Notes per `extract` job when a submission is split. */
  jobBatchSize: number;
  /** Most notes in one POST /v1/jobs. */
  maxJobNotes: number;
  /** Largest POST /v1/jobs body, in bytes. */
  jobBodyLimitBytes: number;
  /** Batches a worker process works on at once. */
  workerConcurrency: number;
  /** A batch's lock: a worker that dies mid-batch gives it up to another worker after about this long. */
  queueLockMs: number;
  /** How long Redis keeps a finished `extract` job (seconds): completed ones (ids only, their texts are dropped at commit), failed ones (with their notes, for retries and GET /v1/jobs/:id). */
  queueKeepCompletedSeconds: number;
  queueKeepFailedSeconds: number;
  /** Days a stored record keeps its note's text (for review); older ones are purged to null by the nightly run or `behealthy db purge`. 0 keeps them. */
  recordTextRetentionDays: number;
  /** Where the platform exports each day's notes: <inboxDir>/<YYYY-MM-DD>/*.jsonl|*.csv. */
  inboxDir: string;
  /** Where a nightly run writes records.jsonl, report.json and report.html: <outboxDir>/<YYYY-MM-DD>/. */
  outboxDir: string;
  /** When the nightly run starts (cron: minute hour day month weekday), in nightlyTimeZone. */
  nightlyCron: string;
  /** IANA time zone of nightlyCron, and of the day a run processes. */
  nightlyTimeZone: string;
  /** A retraining's challenger replaces production unless its CV strict micro F1 is lower by more than this. */
  retrainMargin: number;
  /** A retraining is queued once this many corrections were stored since the last one; 0: never on count. */
  retrainAfterCorrections: number;
  /** Drift thresholds on the drift score (0–1): below watch nothing; watch, retrain, alert above each. */
  driftThresholds: { watch: number; retrain: number; alert: number };
  /** The AMQP (RabbitMQ) ingest bridge: broker URL (amqp:// or amqps://, credentials in it). */
  amqpUrl: string;
  /** The queue the bridge consumes notes from (declared durable if missing). */
  amqpQueue: string;
  /** The exchange records are published to (a durable topic exchange, routing key `record`). */
  amqpExchange: string;
  /** The queue bad messages are moved to, with the reason in headers (declared durable if missing). */
  amqpDeadLetterQueue: string;
  /** Messages the broker hands the bridge before it acknowledges them (basic.qos prefetch): the bound of notes in memory. */
  amqpPrefetch: number;
}

export interface HostPort {
  host: string;
  port: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly Config['logLevel'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const MIN_API_KEY_LENGTH = 16;

/** A URL with its password replaced, safe to print in errors and logs. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const path = (name: string, fallback: string): string => {
    const value = env[name];
    if (value !== undefined && value.trim() === '') problems.push(`${name}: must be a path, got an empty string`);
    return resolve(PROJECT_ROOT, value && value.trim() !== '' ? value : fallback);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name}: must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  };

  const integer = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${name}: must be an integer from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  };
  const url = (name: string, protocols: readonly string[], fallback: string): string => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !protocols.includes(parsed.protocol)) {
      problems.push(`${name}: must be a ${protocols.join(' or ')}// URL, got "${redactUrl(value)}"`);
      return fallback;
    }
    return value;
  };
  const identifier = (name: string, fallback: string): string => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (/^[a-z_][a-z0-9_]{0,62}$/.test(value)) return value;
    problems.push(`${name}: must be lower-case letters, digits and underscores (starting with a letter or _), got "${value}"`);
    return fallback;
  };
  const amqpName = (name: string, fallback: string): string => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (/^[A-Za-z0-9._:-]{1,255}$/.test(value) && !value.startsWith('amq.')) return value;
    problems.push(`${name}: must be 1 to 255 letters, digits, '.', '_', ':' or '-' (not starting with amq.), got "${value}"`);
    return fallback;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = env[name]?.trim().toLowerCase();
    if (value === undefined || value === '') return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    problems.push(`${name}: must be true or false, got "${env[name]}"`);
    return fallback;
  };
  const fraction = (name: string, fallback: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
      problems.push(`${name}: must be a number from 0 to 1, got "${value}"`);
      return fallback;
    }
    return parsed;
  };
  const cron = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return fallback;
    if (/^(\S+\s+){4}\S+$/.test(value) && value.split(/\s+/).every((field) => /^[\d*,/-]+$/.test(field))) return value;
    problems.push(`${name}: must be a five-field cron expression (minute hour day month weekday), got "${value}"`);
    return fallback;
  };
  const timeZone = (name: string, fallback: string): string => {
    const value = env[name]?.trim().replace(/^:/, '');
    if (value === undefined || value === '') return fallback;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return value;
    } catch {
      problems.push(`${name}: must be an IANA time zone such as Europe/Paris or UTC, got "${value}"`);
      return fallback;
    }
  };
  const hostPorts = (name: string): HostPort[] => {
    const value = env[name]?.trim();
    if (value === undefined || value === '') return [];
    const parsed = value.split(',').map((item) => /^\[?([^\s[\]]+?)\]?:(\d{1,5})$/.exec(item.trim()));
    if (parsed.some((m) => !m || Number(m[2]) < 1 || Number(m[2]) > 65535)) {
      problems.push(`${name}: must be comma-separated host:port pairs, got "${value}"`);
      return [];
    }
    return parsed.map((m) => ({ host: m![1]!, port: Number(m![2]) }));
  };
  const redisSentinels = hostPorts('REDIS_SENTINELS');
  const redisClusterNodes = hostPorts('REDIS_CLUSTER_NODES');
  const redisSentinelName = env.REDIS_SENTINEL_NAME?.trim() ?? '';
  if (redisSentinels.length > 0 && redisClusterNodes.length > 0) problems.push('REDIS_SENTINELS, REDIS_CLUSTER_NODES: set one or the other (Sentinel or Cluster), not both');
  if (redisSentinels.length > 0 && redisSentinelName === '') problems.push('REDIS_SENTINEL_NAME: must name the master the sentinels monitor when REDIS_SENTINELS is set');
  if (redisSentinels.length === 0 && redisSentinelName !== '') problems.push('REDIS_SENTINELS: must list the sentinels (host:port,…) when REDIS_SENTINEL_NAME is set');
  const queuePrefix = identifier('QUEUE_PREFIX', 'behealthy');

  const apiKeys = (env.API_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (apiKeys.some((k) => k.length < MIN_API_KEY_LENGTH)) {
    problems.push(`API_KEYS: every key must be at least ${MIN_API_KEY_LENGTH} characters (comma-separated)`);
  }

  const config: Config = {
    corpusDir: path('CORPUS_DIR', '../shared/corpus/behealthy'),
    corporaDir: path('CORPORA_DIR', '../shared/corpus'),
    modelDir: path('MODEL_DIR', 'models'),
    modelReloadPollMs: integer('MODEL_RELOAD_POLL_MS', 2_000, 0, 3_600_000),
    runsDir: path('RUNS_DIR', 'runs'),
    lexiconDir: path('LEXICON_DIR', '../shared/lexicons'),
    conceptCodes: oneOf('CONCEPT_CODES', ['on', 'off'], 'on') === 'on',
    notesFile: path('NOTES_FILE', '../shared/notes/mtsamples.csv'),
    brandsFile: env.BRANDS_FILE === undefined ? null : path('BRANDS_FILE', ''),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    host: env.HOST && env.HOST.trim() !== '' ? env.HOST.trim() : '127.0.0.1',
    port: integer('PORT', 3000, 0, 65535),
    webConcurrency: integer('WEB_CONCURRENCY', availableParallelism(), 1, 64),
    apiKeys,
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 600_000, 0),
    maxNoteChars: integer('MAX_NOTE_CHARS', 100_000, 1),
    maxBatchNotes: integer('MAX_BATCH_NOTES', 100, 1),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024),
    extractSliceTokens: integer('EXTRACT_SLICE_TOKENS', 2_000, 0),
    extractMaxCharsInFlight: integer('EXTRACT_MAX_CHARS_IN_FLIGHT', 200_000, 0),
    apiHeapLimitMb: integer('API_HEAP_LIMIT_MB', 256, 0, 1_048_576),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    redisSentinels,
    redisSentinelName,
    redisClusterNodes,
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://root@127.0.0.1:5432/test'),
    databasePgBouncer: flag('DATABASE_PGBOUNCER', false),
    databasePoolMax: integer('DATABASE_POOL_MAX', 4, 1, 1_000),
    databaseSchema: identifier('DATABASE_SCHEMA', 'public'),
    queuePrefix: redisClusterNodes.length > 0 ? `{${queuePrefix}}` : queuePrefix,
    jobBatchSize: integer('JOB_BATCH_SIZE', 100, 1, 10_000),
    maxJobNotes: integer('MAX_JOB_NOTES', 10_000, 1),
    jobBodyLimitBytes: integer('JOB_BODY_LIMIT_BYTES', 256 * 1024 * 1024, 1024),
    workerConcurrency: integer('WORKER_CONCURRENCY', 2, 1, 64),
    queueLockMs: integer('QUEUE_LOCK_MS', 30_000, 500),
    queueKeepCompletedSeconds: integer('QUEUE_KEEP_COMPLETED_SECONDS', 24 * 3600, 0),
    queueKeepFailedSeconds: integer('QUEUE_KEEP_FAILED_SECONDS', 7 * 24 * 3600, 1),
    recordTextRetentionDays: integer('RECORD_TEXT_RETENTION_DAYS', 0, 0, 36_500),
    inboxDir: path('INBOX_DIR', 'var/inbox'),
    outboxDir: path('OUTBOX_DIR', 'var/outbox'),
    nightlyCron: cron('NIGHTLY_CRON', '0 2 * * *'),
    nightlyTimeZone: timeZone('TZ', 'UTC'),
    retrainMargin: fraction('RETRAIN_MARGIN', 0.005),
    retrainAfterCorrections: integer('RETRAIN_AFTER_CORRECTIONS', 200, 0),
    driftThresholds: {
      watch: fraction('DRIFT_WATCH_AT', 0.02),
      retrain: fraction('DRIFT_RETRAIN_AT', 0.05),
      alert: fraction('DRIFT_ALERT_AT', 0.1),
    },
    amqpUrl: url('AMQP_URL', ['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672'),
    amqpQueue: amqpName('AMQP_QUEUE', 'behealthy.notes'),
    amqpExchange: amqpName('AMQP_EXCHANGE', 'behealthy.records'),
    amqpDeadLetterQueue: amqpName('AMQP_DEAD_LETTER_QUEUE', 'behealthy.notes.dead'),
    amqpPrefetch: integer('AMQP_PREFETCH', 200, 1, 10_000),
  };
  if (config.apiHeapLimitMb > 0 && config.apiHeapLimitMb < 128) problems.push(`API_HEAP_LIMIT_MB: must be 0 (V8's own limit) or at least 128 (the model alone takes about 50 MB of heap), got ${config.apiHeapLimitMb}`);
  if (config.amqpQueue === config.amqpDeadLetterQueue) problems.push(`AMQP_QUEUE, AMQP_DEAD_LETTER_QUEUE: must differ, both are "${config.amqpQueue}"`);
  const { watch, retrain, alert } = config.driftThresholds;
  if (!(watch <= retrain && retrain <= alert)) {
    problems.push(`DRIFT_WATCH_AT, DRIFT_RETRAIN_AT, DRIFT_ALERT_AT: must not decrease, got ${watch}, ${retrain}, ${alert}`);
  }
  if (problems.length > 0) {
    throw new NerError('NER_ERR_CONFIG_INVALID', `invalid environment:\n  ${problems.join('\n  ')}`);
  }
  return config;
}
