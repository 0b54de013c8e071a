import { resolve } from 'node:path';
import { DEFAULT_TRAINING_PARAMETERS, type EntityBias } from '../core/tagger/crfsuite-binding.js';
import { formatAveragedReport, formatReport } from '../core/evaluation/evaluation.js';
import { formatDocumentReport } from '../core/evaluation/document-scores.js';
import { DEFAULT_TEMPLATES, resolveTemplates } from '../core/tagger/feature-templates.js';
import { parseDecoding } from '../core/tagger/span-decoding.js';
import { DEFAULT_SPAN_RULES } from '../core/clinical/span-rules.js';
import { LABEL_ENCODINGS, type LabelEncoding } from '../core/tagger/label-codec.js';
import { NerError } from '../errors.js';
import { promoteVersion, whoAmI } from '../registry/model-registry.js';
import { runEnvironment } from '../registry/run-environment.js';
import { trainRun } from '../training/run-records.js';
import { createRunId, recordRun } from '../registry/runs.js';
import { trainModelVersion } from '../training/train-model-version.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';
import { createProgress } from './progress.js';

export const DEFAULT_LABEL_ENCODING: LabelEncoding = 'BIO';

const usage =
  'behealthy train [--corpora behealthy,maccrobat2020,chia,bc5cdr,clinical-notes] [--corpus DIR] [--lexicons DIR] [--models DIR] [--templates a,b,...] [--encoding IO|BIO] ' +
  '[--span-rules none|a,b,...] [--decoding viterbi|marginals:T[:MAXLEN]] [--c1 N] [--c2 N] [--iterations N] [--entity-bias auto|N|D,T] [--folds K] [--seed N] [--no-test] [--version NAME] [--promote] [--runs DIR] [--json]';

/** `auto`, one bias for both types (`0.25`), or disease,treatment (`0.25,0.5`). */
function parseEntityBias(value: string | undefined): EntityBias | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  const parts = value.split(',').map((part) => numberOption(part, 'entity-bias', 0));
  if (parts.length > 2) throw new NerError('NER_ERR_CLI_USAGE', `--entity-bias takes auto, N or D,T; got "${value}"`);
  return { D: parts[0] as number, T: (parts[1] ?? parts[0]) as number };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'cross-validate on the train split, train a model version, score it on the test split',
  usage,
  async run(argv, { config, stdout, stderr }) {
    const { values } = parseCommandArgs(
      argv,
      {
        corpus: { type: 'string' }, corpora: { type: 'string' }, lexicons: { type: 'string' }, models: { type: 'string' },
        templates: { type: 'string' }, encoding: { type: 'string' },
        c1: { type: 'string' }, c2: { type: 'string' }, iterations: { type: 'string' },
        folds: { type: 'string' }, seed: { type: 'string' }, version: { type: 'string' }, 'entity-bias': { type: 'string' }, 'span-rules': { type: 'string' }, decoding: { type: 'string' },
        'no-test': { type: 'boolean' }, promote: { type: 'boolean' }, json: { type: 'boolean' }, runs: { type: 'string' },
      },
      usage,
    );
    const encoding = (values.encoding ?? DEFAULT_LABEL_ENCODING) as LabelEncoding;
    if (!LABEL_ENCODINGS.includes(encoding)) throw new NerError('NER_ERR_CLI_USAGE', `--encoding must be IO or BIO, got "${values.encoding}"`);
    const templates = values.templates ? values.templates.split(',').map((t) => t.trim()) : [...DEFAULT_TEMPLATES];
    resolveTemplates(templates);
    const modelDir = values.models ? resolve(values.models) : config.modelDir;
    const parameters = {
      ...DEFAULT_TRAINING_PARAMETERS,
      c1: numberOption(values.c1, 'c1', DEFAULT_TRAINING_PARAMETERS.c1),
      c2: numberOption(values.c2, 'c2', DEFAULT_TRAINING_PARAMETERS.c2),
      maxIterations: numberOption(values.iterations, 'iterations', DEFAULT_TRAINING_PARAMETERS.maxIterations),
    };
    const folds = numberOption(values.folds, 'folds', 5);
    // A single corpus (the BeHealthy train split alone) unless --corpora names several, one of them the token-per-line base.
    const corpora = values.corpora ? values.corpora.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
    const decoding = values.decoding === undefined ? null : parseDecoding(values.decoding);
    if (values.decoding !== undefined && !decoding) throw new NerError('NER_ERR_CLI_USAGE', `--decoding must be viterbi or marginals:T[:MAXLEN] (T from 0 to 1), got "${values.decoding}"`);
    const iterations = createProgress('training', parameters.maxIterations, stderr);
    const entityBias = parseEntityBias(values['entity-bias']);
    const started = new Date();
    const result = await trainModelVersion(
      {
        corpusDir: values.corpus ? resolve(values.corpus) : config.corpusDir,
        corporaDir: config.corporaDir,
        lexiconDir: values.lexicons ? resolve(values.lexicons) : config.lexiconDir,
        notesFile: config.notesFile,
        modelDir,
        spec: { templates, labelEncoding: encoding, parameters, spanRules: values['span-rules'] === 'none' ? [] : values['span-rules'] ? values['span-rules'].split(',') : [...DEFAULT_SPAN_RULES], ...(decoding && decoding.method !== 'viterbi' ? { decoding } : {}), ...(corpora ? { corpora } : {}) },
        folds,
        seed: numberOption(values.seed, 'seed', 42),
        evaluateTest: !values['no-test'],
        entityBias,
        ...(values.version ? { version: values.version } : {}),
      },
      {
        onStage: (stage) => stderr.write(`${stage}...\n`),
        onFold: (report, done, total) => {
          const best = Math.max(...report.byEntityBias.map((r) => r.report.strict.micro.f1));
          const unbiased = report.byEntityBias[0]?.report.strict.micro.f1 ?? 0;
          const dev = (report.dev ?? []).map((d) => `${d.corpus} ${d.report.strict.micro.f1.toFixed(3)}`).join(', ');
          stderr.write(`  fold ${report.fold + 1}: strict micro F1 ${unbiased.toFixed(4)}, best entity bias ${best.toFixed(4)}${dev ? `; dev ${dev}` : ''} (${report.seconds.toFixed(0)} s; ${done}/${total} done)\n`);
        },
        onIteration: (p) => iterations.update(p.iteration, p.loss === undefined ? '' : `loss ${p.loss.toFixed(1)}`),
      },
    );
    iterations.finish();
    if (values.promote) await promoteVersion(modelDir, result.card.version, { by: whoAmI(), reason: 'behealthy train --promote' });
    // The run: parameters, templates, data digests, CV per fold and mean ± sd, test, versions (behealthy runs).
    const run = trainRun({
      id: createRunId(started), startedAt: started, finishedAt: new Date(), result, environment: runEnvironment(),
      entityBiasMode: entityBias === 'auto' ? 'auto' : 'fixed', ...(values.promote ? { details: { promoted: true } } : {}),
    });
    const runsDir = values.runs ? resolve(values.runs) : config.runsDir;
    await recordRun(runsDir, run);
    stderr.write(`run ${run.id} recorded in ${runsDir}\n`);
    if (values.json) {
      stdout.write(`${JSON.stringify({ version: result.card.version, promoted: Boolean(values.promote), runId: run.id, metrics: result.card.metrics })}\n`);
      return 0;
    }
    stdout.write(`model version ${result.card.version} written to ${modelDir}${values.promote ? ' and promoted to production' : ''}\n`);
    if (result.crossValidation) {
      const { entityBias, entityBiasSearch, mean } = result.crossValidation;
      const unbiased = entityBiasSearch[0]?.strictMicroF1.mean ?? 0;
      stdout.write(
        `\ncross-validation (${folds} folds, mean ± sd) at entity bias D ${entityBias.D} / T ${entityBias.T} ` +
          `(strict micro F1 ${unbiased.toFixed(4)} without bias):\n${formatAveragedReport(mean)}\n`,
      );
    }
    if (result.test) stdout.write(`\ntest split:\n${formatReport(result.test)}\n`);
    for (const dev of result.dev) {
      stdout.write(`\n${dev.corpus} dev split, own domain:\n${formatDocumentReport(dev.own)}\n`);
      if (dev.routed) stdout.write(`${dev.corpus} dev split, routed as notes are:\n${formatDocumentReport(dev.routed)}\n`);
    }
    return 0;
  },
};
