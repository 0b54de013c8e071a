import { parseArgs, type ParseArgsConfig } from 'node:util';
import type pg from 'pg';
import type { Config } from '../config.js';
import { storeError } from '../queue/job-service.js';
import { createDatabasePool } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { NerError } from '../errors.js';

export interface CliContext {
  config: Config;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Resolves to the process exit code. */
  run(argv: string[], context: CliContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with unknown options and bad values turned into NER_ERR_CLI_USAGE. */
export function parseCommandArgs<T extends Options>(argv: string[], options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (cause) {
    throw new NerError('NER_ERR_CLI_USAGE', `${(cause as Error).message}\nusage: ${usage}`);
  }
}

export function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new NerError('NER_ERR_CLI_USAGE', `--${name} must be a number, got "${value}"`);
  return parsed;
}

/** A one-connection pool on DATABASE_URL, migrated (connection failures: NER_ERR_STORE_UNAVAILABLE), closed after `use`. */
export async function withMigratedDatabase<T>(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'databasePgBouncer'>, use: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = createDatabasePool(config.databaseUrl, { schema: config.databaseSchema, viaPgBouncer: config.databasePgBouncer, max: 1 });
  try {
    await migrate(pool, config.databaseSchema).catch((cause: unknown) => Promise.reject(storeError(cause, config.databaseUrl)));
    return await use(pool);
  } finally {
    await pool.end();
  }
}
