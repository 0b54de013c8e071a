import { closeWorkerOnSignals, startWorker } from '../queue/start-worker.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';

const usage = 'behealthy worker [--concurrency N]   (REDIS_URL, DATABASE_URL: see README, Configuration)';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'process bulk extraction jobs from the queue into PostgreSQL (migrates the database first)',
  usage,
  async run(argv, context) {
    const { values } = parseCommandArgs(argv, { concurrency: { type: 'string' } }, usage);
    const config = { ...context.config, workerConcurrency: numberOption(values.concurrency, 'concurrency', context.config.workerConcurrency) };
    closeWorkerOnSignals(await startWorker(config, { nightly: true }));
    await new Promise(() => {});
    return 0;
  },
};
