import { resolve } from 'node:path';
import { isNerError, NerError } from '../errors.js';
import {
  listVersionSummaries, productionState, promoteVersion, readPromotionHistory, rollbackVersion, verifyModelVersion, whoAmI,
  type ProductionChange, type VersionSummary,
} from '../registry/model-registry.js';
import { parseCommandArgs, type CliContext, type Command } from './command.js';

const usage = [
  'behealthy models list [--json] [--verify] [--models DIR]',
  '       behealthy models promote <version> [--reason TEXT] [--by NAME] [--json] [--models DIR]',
  '       behealthy models rollback [--reason TEXT] [--by NAME] [--json] [--models DIR]',
  '       behealthy models history [--json] [--models DIR]',
].join('\n');

const options = {
  json: { type: 'boolean' },
  verify: { type: 'boolean' },
  models: { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
} as const;

/**
 * The model registry from the command line: the versions with their scores, promotion (after verifying the
 * version completely) and rollback, each recorded in the promotion history. Serving processes pick the
 * change up themselves (hot reload).
 */
export const modelsCommand: Command = {
  name: 'models',
  summary: 'model versions: list, promote <version> (verified first), rollback, history',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(argv, options, usage, true);
    const [action, ...rest] = positionals;
    const modelsDir = values.models ? resolve(values.models) : context.config.modelDir;
    const expect = (count: number): void => {
      if (rest.length !== count) throw new NerError('NER_ERR_CLI_USAGE', `models ${action} takes ${count === 0 ? 'no argument' : 'a version'}\nusage: ${usage}`);
    };
    const change = { by: values.by ?? whoAmI(), ...(values.reason ? { reason: values.reason } : {}) };
    switch (action) {
      case 'list':
        expect(0);
        return list(modelsDir, context, { json: values.json === true, verify: values.verify === true });
      case 'promote':
        expect(1);
        return report(await promoteVersion(modelsDir, rest[0] as string, change), context, values.json === true, context.config.modelReloadPollMs);
      case 'rollback':
        expect(0);
        return report(await rollbackVersion(modelsDir, change), context, values.json === true, context.config.modelReloadPollMs);
      case 'history':
        expect(0);
        return history(modelsDir, context, values.json === true);
      default:
        throw new NerError('NER_ERR_CLI_USAGE', `${action === undefined ? 'no action' : `unknown action "${action}"`}\nusage: ${usage}`);
    }
  },
};

type Verified = VersionSummary & { verified?: { ok: true } | { ok: false; code: string; message: string } };

async function list(modelsDir: string, { stdout }: CliContext, flags: { json: boolean; verify: boolean }): Promise<number> {
  const { pointer, problem } = await productionState(modelsDir);
  const versions: Verified[] = await listVersionSummaries(modelsDir, pointer?.version ?? null);
  if (flags.verify) {
    for (const summary of versions) {
      try {
        await verifyModelVersion(modelsDir, summary.version);
        summary.verified = { ok: true };
      } catch (error) {
        if (!isNerError(error)) throw error;
        summary.verified = { ok: false, code: error.code, message: error.message };
      }
    }
  }
  if (flags.json) {
    stdout.write(`${JSON.stringify({ production: pointer, ...(problem ? { productionProblem: problem } : {}), versions })}\n`);
    return 0;
  }
  const f3 = (n: number): string => n.toFixed(3);
  const rows = versions.map((v) => [
    v.production ? '*' : ' ',
    v.version,
    v.created ? v.created.slice(0, 16).replace('T', ' ') : '-',
    v.templates === null ? '-' : String(v.templates),
    v.cvStrictMicroF1 ? `${f3(v.cvStrictMicroF1.mean)} ± ${f3(v.cvStrictMicroF1.sd)}` : '-',
    v.testStrictMicroF1 === null ? '-' : f3(v.testStrictMicroF1),
    ...(flags.verify ? [v.verified?.ok ? 'ok' : (v.verified?.code ?? '-')] : []),
    v.problem ? `${v.problem.code}` : '',
  ]);
  const header = [' ', 'version', 'created (UTC)', 'templates', 'CV strict micro F1', 'test strict micro F1', ...(flags.verify ? ['verified'] : []), ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, ...rows]) stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`);
  stdout.write(
    pointer
      ? `* production (production.json in ${modelsDir}), since ${pointer.promotedAt ?? 'an unknown time'}\n`
      : `no production version: ${problem?.message ?? 'no pointer'} [${problem?.code ?? ''}]\n`,
  );
  if (flags.verify) {
    for (const v of versions) if (v.verified && !v.verified.ok) stdout.write(`${v.version}: ${v.verified.message}\n`);
  }
  return 0;
}

function report(result: ProductionChange, { stdout }: CliContext, json: boolean, pollMs: number): number {
  const { record, changed } = result;
  if (json) {
    stdout.write(`${JSON.stringify({ changed, ...record })}\n`);
    return 0;
  }
  if (!changed) {
    stdout.write(`${record.to} is already the production version (verified); nothing changed\n`);
    return 0;
  }
  const verb = record.action === 'promote' ? 'promoted' : 'rolled back to';
  stdout.write(`${verb} ${record.to} (production was ${record.from ?? 'none'}); verified: model file, resources, labels, templates, a test extraction\n`);
  stdout.write(
    pollMs > 0
      ? `serving API and worker processes switch to it by themselves (a watch on the pointer, and a read every ${pollMs} ms)\n`
      : 'MODEL_RELOAD_POLL_MS=0 here: processes started with it keep their model until restarted\n',
  );
  return 0;
}

async function history(modelsDir: string, { stdout }: CliContext, json: boolean): Promise<number> {
  const records = await readPromotionHistory(modelsDir);
  if (json) {
    for (const record of records) stdout.write(`${JSON.stringify(record)}\n`);
    return 0;
  }
  if (records.length === 0) stdout.write('no promotion recorded yet\n');
  for (const r of records) stdout.write(`${r.at}  ${r.action.padEnd(8)}  ${r.from ?? '(none)'} → ${r.to}  by ${r.by}${r.reason ? `: ${r.reason}` : ''}\n`);
  return 0;
}
