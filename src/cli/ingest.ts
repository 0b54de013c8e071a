import { NerError } from '../errors.js';
import { closeBridgeOnSignals, startBridgeProcess } from '../ingest/start-amqp-bridge.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';

const usage = 'behealthy ingest amqp [--queue Q] [--prefetch N]   (AMQP_URL, AMQP_QUEUE, AMQP_EXCHANGE, AMQP_DEAD_LETTER_QUEUE, AMQP_PREFETCH, DATABASE_URL: see README, Configuration)';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'ingest notes published on a broker: `ingest amqp` consumes a RabbitMQ queue into PostgreSQL (migrates the database first)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(argv, { queue: { type: 'string' }, prefetch: { type: 'string' } }, usage, true);
    if (positionals.length !== 1 || positionals[0] !== 'amqp') throw new NerError('NER_ERR_CLI_USAGE', `ingest needs one source, amqp\nusage: ${usage}`);
    const prefetch = numberOption(values.prefetch, 'prefetch', context.config.amqpPrefetch);
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 10_000) throw new NerError('NER_ERR_CLI_USAGE', `--prefetch must be an integer from 1 to 10000, got "${values.prefetch}"`);
    const config = { ...context.config, amqpPrefetch: prefetch, ...(values.queue ? { amqpQueue: values.queue } : {}) };
    closeBridgeOnSignals(await startBridgeProcess(config));
    await new Promise(() => {});
    return 0;
  },
};
