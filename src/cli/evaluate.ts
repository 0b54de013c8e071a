import { resolve } from 'node:path';
import { errorSummary, formatReport } from '../core/evaluation.js';
import { NerError } from '../errors.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { loadModel } from '../registry/model-store.js';
import { evaluateTagger } from '../training/train-tagger.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';

const usage = 'behealthy evaluate [--split test|train] [--corpus DIR] [--models DIR] [--model VERSION] [--json] [--errors N]';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score a model version (default: production) on a corpus split: strict, partial and token level',
  usage,
  async run(argv, { config, stdout }) {
    const { values } = parseCommandArgs(
      argv,
      {
        split: { type: 'string', default: 'test' }, corpus: { type: 'string' }, models: { type: 'string' },
        model: { type: 'string' }, json: { type: 'boolean' }, errors: { type: 'string' },
      },
      usage,
    );
    if (values.split !== 'test' && values.split !== 'train') throw new NerError('NER_ERR_CLI_USAGE', `--split must be test or train, got "${values.split}"`);
    const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model);
    const { sentences } = await readBeHealthySplit(values.corpus ? resolve(values.corpus) : config.corpusDir, values.split);
    const report = evaluateTagger(model, sentences);
    if (values.json) {
      const { strict, partial, token } = report;
      stdout.write(`${JSON.stringify({ model: card.version, split: values.split, strict, partial, token })}\n`);
      return 0;
    }
    stdout.write(`model ${card.version} on the ${values.split} split (${sentences.length} sentences)\n${formatReport(report)}\n`);
    const examples = numberOption(values.errors, 'errors', 0);
    if (examples > 0) stdout.write(`\n${errorSummary(report, examples)}\n`);
    return 0;
  },
};
