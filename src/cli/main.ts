import { loadConfig } from '../config.js';
import { serializeErrorSafely } from '../error-description.js';
import { isNerError } from '../errors.js';
import type { CliContext, Command } from './command.js';
import { batchCommand } from './batch.js';
import { correctionsCommand } from './corrections.js';
import { evaluateCommand } from './evaluate.js';
import { extractCommand } from './extract.js';
import { dbCommand } from './db.js';
import { driftCommand } from './drift.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';
import { ingestCommand } from './ingest.js';
import { trainCommand } from './train.js';
import { modelsCommand } from './models.js';
import { retrainCommand } from './retrain.js';
import { runsCommand } from './runs.js';
import { tuneCommand } from './tune.js';

const COMMANDS: readonly Command[] = [trainCommand, tuneCommand, retrainCommand, runsCommand, evaluateCommand, extractCommand, serveCommand, workerCommand, ingestCommand, batchCommand, correctionsCommand, dbCommand, driftCommand, modelsCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'behealthy — clinical disease / treatment extraction',
    '',
    'usage: behealthy <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'behealthy <command> --help shows a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: Omit<CliContext, 'config'> = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`behealthy: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, { ...io, config: loadConfig() });
  } catch (error) {
    if (isNerError(error)) {
      io.stderr.write(`behealthy ${name}: ${error.message} [${error.code}]\n`);
      return error.code === 'NER_ERR_CLI_USAGE' ? 2 : 1;
    }
    // Not Node's print of an uncaught error: it lists every field, and a PostgreSQL error's quote the data.
    io.stderr.write(`behealthy ${name}: unexpected error: ${serializeErrorSafely(error).stack}\n`);
    return 1;
  }
}
