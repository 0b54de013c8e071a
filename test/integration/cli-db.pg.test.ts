import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { createDatabasePool } from '../../src/store/database.js';
import { quoteIdentifier } from '../../src/store/migrate.js';
import { services, uniqueName } from '../helpers/services.js';

const run = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/bin.ts'), ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

describe('behealthy db migrate', () => {
  it('applies the migrations to DATABASE_SCHEMA once, and says so as JSON', async () => {
    const schema = uniqueName('cli');
    try {
      const first = await run(['db', 'migrate'], { DATABASE_SCHEMA: schema });
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ schema, applied: ['001_records', '002_submission_progress', '003_nightly_runs', '004_corrections', '005_reviews', '006_record_text', '007_entity_assertion', '008_entity_kind', '009_concept_codes'] });
      const second = await run(['db', 'migrate'], { DATABASE_SCHEMA: schema });
      expect(JSON.parse(second.stdout).applied).toEqual([]);
    } finally {
      const pool = createDatabasePool(services.databaseUrl);
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await pool.end();
    }
  });

  it('names the database it cannot reach, without its password, and exits 1', async () => {
    const { code, stderr } = await run(['db', 'migrate'], { DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/x' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot migrate postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x.*NER_ERR_STORE_UNAVAILABLE/);
    expect(stderr).not.toContain('hunter2');
  });

  it('is a usage error without its subcommand', async () => {
    const { code, stderr } = await run(['db'], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: behealthy db migrate/);
  });
});
