import { redactUrl } from '../config.js';
import { describeError } from '../error-description.js';
import { isNerError, NerError } from '../errors.js';
import { createDatabasePool } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { purgeRecordTexts } from '../store/text-retention.js';
import { parseCommandArgs, withMigratedDatabase, type Command } from './command.js';

const usage = 'behealthy db migrate | behealthy db purge [--days N]   (DATABASE_URL, DATABASE_SCHEMA, RECORD_TEXT_RETENTION_DAYS)';

export const dbCommand: Command = {
  name: 'db',
  summary: 'db migrate: apply the PostgreSQL migrations not yet applied; db purge: drop the note texts of records older than RECORD_TEXT_RETENTION_DAYS',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(argv, { days: { type: 'string' } }, usage, true);
    const action = positionals[0];
    if (!((action === 'migrate' && values.days === undefined) || action === 'purge') || positionals.length !== 1) throw new NerError('NER_ERR_CLI_USAGE', `usage: ${usage}`);
    const { config } = context;
    const { databaseUrl, databaseSchema } = config;
    if (action === 'purge') {
      const days = values.days === undefined ? config.recordTextRetentionDays : Number(values.days);
      if (!Number.isInteger(days) || days < 0) throw new NerError('NER_ERR_CLI_USAGE', `--days must be a whole number of days (0 keeps every text), got "${values.days}"`);
      const purged = await withMigratedDatabase(config, (pool) => purgeRecordTexts(pool, days));
      context.stdout.write(`${JSON.stringify({ database: redactUrl(databaseUrl), schema: databaseSchema, days, recordTextsPurged: purged })}\n`);
      return 0;
    }
    const pool = createDatabasePool(databaseUrl, { schema: databaseSchema, viaPgBouncer: config.databasePgBouncer, max: 1 });
    try {
      const applied = await migrate(pool, databaseSchema).catch((cause: unknown) => {
        if (isNerError(cause)) throw cause;
        throw new NerError('NER_ERR_STORE_UNAVAILABLE', `cannot migrate ${redactUrl(databaseUrl)}: ${describeError(cause)}`, { cause });
      });
      context.stdout.write(`${JSON.stringify({ database: redactUrl(databaseUrl), schema: databaseSchema, applied })}\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
