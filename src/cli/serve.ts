import { runApi } from '../http/api-cluster.js';
import { parseCommandArgs, numberOption, type Command } from './command.js';

const usage = 'behealthy serve [--port N] [--host ADDR] [--model VERSION]   (environment: see README, Configuration)';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the HTTP API on the production model (Redis and PostgreSQL optional)',
  usage,
  async run(argv, context) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' } }, usage);
    const config = { ...context.config, port: numberOption(values.port, 'port', context.config.port), host: values.host ?? context.config.host };
    await runApi(config, values.model ? { modelVersion: values.model } : {});
    await new Promise(() => {});
    return 0;
  },
};
