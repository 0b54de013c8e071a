import { redactUrl } from '../config.js';
import { NerError } from '../errors.js';
import { createDatabasePool } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { parseCommandArgs, type Command } from './command.js';

const usage = 'behealthy db migrate   (DATABASE_URL, DATABASE_SCHEMA)';

export const dbCommand: Command = {
  name: 'db',
  summary: 'db migrate: apply the PostgreSQL migrations not yet applied',
  usage,
  async run(argv, context) {
    const { positionals } = parseCommandArgs(argv, {}, usage, true);
    if (positionals[0] !== 'migrate' || positionals.length !== 1) throw new NerError('NER_ERR_CLI_USAGE', `usage: ${usage}`);
    const { databaseUrl, databaseSchema } = context.config;
    const pool = createDatabasePool(databaseUrl, { schema: databaseSchema, max: 1 });
    try {
      const applied = await migrate(pool, databaseSchema).catch((cause: unknown) => {
        throw new NerError('NER_ERR_STORE_UNAVAILABLE', `cannot migrate ${redactUrl(databaseUrl)}: ${(cause as Error).message}`, { cause });
      });
      context.stdout.write(`${JSON.stringify({ database: redactUrl(databaseUrl), schema: databaseSchema, applied })}\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
