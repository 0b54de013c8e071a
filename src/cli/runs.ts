import { resolve } from 'node:path';
import { NerError } from '../errors.js';
import { compareRuns } from '../training/run-records.js';
import { listRuns, readRun, resolveRunId, RUN_KINDS, type RunKind } from '../registry/runs.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';
import { formatComparison, formatRun, formatRunsTable, noRunsMessage } from './runs-format.js';

const usage =
  'behealthy runs list [--kind train|tune-trial|tune|retrain] [--limit N] [--json] | runs show <id> [--json] | runs compare <a> <b> [--json]  [--runs DIR]';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'recorded runs (train, tuning trials, tunes, retrainings): list, show one, compare two',
  usage,
  async run(argv, { config, stdout, stderr }) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { runs: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      true,
    );
    const runsDir = values.runs ? resolve(values.runs) : config.runsDir;
    const [action, ...ids] = positionals;
    const expect = (count: number): void => {
      if (ids.length !== count) throw new NerError('NER_ERR_CLI_USAGE', `runs ${action} takes ${count} run id(s), got ${ids.length}\nusage: ${usage}`);
    };
    if (action === 'list') {
      expect(0);
      const kind = values.kind as RunKind | undefined;
      if (kind !== undefined && !RUN_KINDS.includes(kind)) throw new NerError('NER_ERR_CLI_USAGE', `--kind must be one of ${RUN_KINDS.join(', ')}, got "${kind}"`);
      const limit = numberOption(values.limit, 'limit', 20);
      if (!Number.isInteger(limit) || limit < 1) throw new NerError('NER_ERR_CLI_USAGE', `--limit must be a positive integer, got "${values.limit}"`);
      const runs = await listRuns(runsDir, { ...(kind ? { kind } : {}), onInvalid: (file, error) => stderr.write(`skipped ${file}: ${error.message} [${error.code}]\n`) });
      const newest = runs.reverse().slice(0, limit);
      if (values.json) {
        stdout.write(`${JSON.stringify(newest)}\n`);
        return 0;
      }
      if (newest.length === 0) {
        stdout.write(`${noRunsMessage(runsDir, kind)}\n`);
        return 0;
      }
      stdout.write(`${formatRunsTable(newest)}\n`);
      if (runs.length > newest.length) stdout.write(`(${newest.length} newest of ${runs.length}; --limit N for more)\n`);
      return 0;
    }
    if (action === 'show') {
      expect(1);
      const run = await readRun(runsDir, await resolveRunId(runsDir, ids[0] as string));
      stdout.write(values.json ? `${JSON.stringify(run, null, 2)}\n` : `${formatRun(run)}\n`);
      return 0;
    }
    if (action === 'compare') {
      expect(2);
      const a = await readRun(runsDir, await resolveRunId(runsDir, ids[0] as string));
      const b = await readRun(runsDir, await resolveRunId(runsDir, ids[1] as string));
      const comparison = compareRuns(a, b);
      if (values.json) {
        const { a: _a, b: _b, ...rest } = comparison;
        stdout.write(`${JSON.stringify({ a: a.id, b: b.id, ...rest })}\n`);
        return 0;
      }
      stdout.write(`${formatComparison(comparison)}\n`);
      return 0;
    }
    throw new NerError('NER_ERR_CLI_USAGE', `runs takes list, show or compare${action ? `, got "${action}"` : ''}\nusage: ${usage}`);
  },
};
