import { closeBridgeOnSignals, startBridgeProcess } from '../ingest/start-amqp-bridge.js';
import { closeWorkerOnSignals, startWorker } from '../queue/start-worker.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';

const usage = 'behealthy worker [--concurrency N] [--amqp]   (REDIS_URL, DATABASE_URL, AMQP_*: see README, Configuration)';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'process bulk extraction jobs from the queue into PostgreSQL (migrates the database first); --amqp also runs the AMQP ingest bridge',
  usage,
  async run(argv, context) {
    const { values } = parseCommandArgs(argv, { concurrency: { type: 'string' }, amqp: { type: 'boolean' } }, usage);
    const config = { ...context.config, workerConcurrency: numberOption(values.concurrency, 'concurrency', context.config.workerConcurrency) };
    const worker = await startWorker(config, { nightly: true });
    if (!values.amqp) {
      closeWorkerOnSignals(worker);
    } else {
      // The bridge shares the worker's model (and its hot reload); on SIGTERM both finish what they hold.
      const bridge = await startBridgeProcess(config, { logger: worker.logger, extractor: worker.extractor });
      closeBridgeOnSignals({ logger: worker.logger, close: async () => { await bridge.close(); await worker.close(); } });
    }
    await new Promise(() => {});
    return 0;
  },
};
