import { resolve } from 'node:path';
import { NerError } from '../errors.js';
import { trainTunedBest, tune, type TuneTrial } from '../training/tune.js';
import type { TuneTrialSummary } from '../registry/runs.js';
import { numberOption, parseCommandArgs, type Command } from './command.js';
import { createProgress } from './progress.js';
import { duration, f4, formatTrialsTable, meanSd, pairedText, trainCommandOf } from './runs-format.js';

const usage =
  'behealthy tune [--budget 10m] [--trials N] [--folds K] [--seed N] [--from VERSION] [--jobs N] [--build-resources] ' +
  '[--train-best [--version NAME] [--promote]] [--corpus DIR] [--lexicons DIR] [--models DIR] [--runs DIR] [--json]';

const DEFAULT_BUDGET_SECONDS = 600;

/** "10m", "90s", "1.5h", "600" (seconds), "1m30s" → seconds. */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)\s*(ms|h|m|s)?/g)];
  const seconds = parts.reduce((sum, [, value, unit]) => sum + Number(value) * ({ ms: 0.001, h: 3600, m: 60, s: 1 }[unit ?? 's'] as number), 0);
  if (parts.length === 0 || parts.map((p) => p[0]).join('').replace(/\s/g, '') !== text.replace(/\s/g, '') || !(seconds > 0)) {
    throw new NerError('NER_ERR_CLI_USAGE', `--budget takes a duration such as 10m, 90s, 1h or 1m30s; got "${text}"`);
  }
  return seconds;
}

export const tuneCommand: Command = {
  name: 'tune',
  summary: 'search c1, c2, iterations, feature templates and label encoding by cross-validation on the train split, within a time budget',
  usage,
  async run(argv, { config, stdout, stderr }) {
    const { values } = parseCommandArgs(
      argv,
      {
        budget: { type: 'string' }, trials: { type: 'string' }, folds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string' },
        jobs: { type: 'string' }, 'build-resources': { type: 'boolean' }, 'train-best': { type: 'boolean' }, promote: { type: 'boolean' },
        version: { type: 'string' }, corpus: { type: 'string' }, lexicons: { type: 'string' }, models: { type: 'string' }, runs: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (values.promote && !values['train-best']) throw new NerError('NER_ERR_CLI_USAGE', '--promote promotes the model --train-best trains: give both');
    if (values.version && !values['train-best']) throw new NerError('NER_ERR_CLI_USAGE', '--version names the model --train-best trains: give both');
    const integer = (value: string | undefined, name: string, min: number): number | undefined => {
      if (value === undefined) return undefined;
      const n = numberOption(value, name, 0);
      if (!Number.isInteger(n) || n < min) throw new NerError('NER_ERR_CLI_USAGE', `--${name} must be an integer of at least ${min}, got "${value}"`);
      return n;
    };
    const maxTrials = integer(values.trials, 'trials', 1) ?? null;
    const budgetSeconds = values.budget !== undefined ? parseDuration(values.budget) : maxTrials === null ? DEFAULT_BUDGET_SECONDS : null;
    const folds = integer(values.folds, 'folds', 2);
    const seed = integer(values.seed, 'seed', 0);
    const jobs = integer(values.jobs, 'jobs', 1);
    const paths = {
      corpusDir: values.corpus ? resolve(values.corpus) : config.corpusDir,
      lexiconDir: values.lexicons ? resolve(values.lexicons) : config.lexiconDir,
      notesFile: config.notesFile,
      modelDir: values.models ? resolve(values.models) : config.modelDir,
      runsDir: values.runs ? resolve(values.runs) : config.runsDir,
    };

    const started = performance.now();
    const elapsed = (): number => (performance.now() - started) / 1000;
    const progress = budgetSeconds !== null ? createProgress('tune', Math.round(budgetSeconds), stderr) : createProgress('tune', maxTrials ?? 1, stderr);
    let finishedTrials = 0;
    let bestText = '';
    let current = '';
    const tick = (): void => progress.update(budgetSeconds !== null ? Math.min(Math.round(budgetSeconds), Math.floor(elapsed())) : finishedTrials, `${current}${bestText}`);
    const clear = stderr.isTTY ? '\r\u001b[K' : '';
    let ticking: NodeJS.Timeout | null = null;
    const say = (line: string): void => {
      stderr.write(`${clear}${line}\n`);
    };
    const trialLine = (trial: TuneTrial, summary: TuneTrialSummary, best: boolean): string => {
      const head = `trial ${trial.index} (${trial.name}): `;
      if (summary.status !== 'completed') return `${head}${summary.status}${trial.error ? `: ${trial.error}` : ''} after ${duration(summary.seconds)}`;
      const delta = trial.index > 1 && summary.pairedDelta ? `, Δ ${pairedText(summary.pairedDelta)} folds better vs incumbent` : '';
      return `${head}CV strict micro F1 ${meanSd(summary.cvStrictMicroF1)}${delta} in ${duration(summary.seconds)}${best ? '  ← best so far' : ''}`;
    };

    const outcome = await tune(
      { ...paths, ...(values.from ? { incumbentVersion: values.from } : {}), budgetSeconds, maxTrials, ...(folds ? { folds } : {}), ...(seed !== undefined ? { seed } : {}), ...(jobs ? { concurrency: jobs } : {}), buildResources: Boolean(values['build-resources']) },
      {
        onStage: (stage) => say(`${stage}...`),
        onWarning: (message) => say(`warning: ${message}`),
        onTrialStart: (trial) => {
          if (trial.index === 1) {
            say(`trials: ${budgetSeconds !== null ? `budget ${duration(budgetSeconds)} (trials still running at the budget are cancelled)` : ''}${maxTrials !== null ? ` at most ${maxTrials} trial(s)` : ''}`);
            ticking ??= setInterval(tick, 1000);
          }
          current = `trial ${trial.index} (${trial.name})`;
          tick();
        },
        onTrialEnd: (trial, summary, best) => {
          finishedTrials++;
          if (best && summary.cvStrictMicroF1) bestText = ` · best ${f4(summary.cvStrictMicroF1.mean)}`;
          say(trialLine(trial, summary, best));
          tick();
        },
      },
    ).finally(() => {
      if (ticking) clearInterval(ticking);
    });
    tick();
    if (stderr.isTTY) stderr.write('\n');

    const t = outcome.run.tune;
    const best = outcome.best;
    const incumbentCv = outcome.incumbent?.run?.crossValidation?.mean.strict.micro.f1 ?? null;
    const bestSummary = outcome.summaries.find((s) => s.runId === best?.runId);
    const counts = (status: string): number => outcome.summaries.filter((s) => s.status === status).length;
    let trained: Awaited<ReturnType<typeof trainTunedBest>> | null = null;
    if (values['train-best'] && best) {
      say(`training a model version with the best configuration (${best.name})...`);
      const iterations = createProgress('training', best.config.parameters.maxIterations, stderr);
      trained = await trainTunedBest(
        outcome,
        { ...paths, promote: Boolean(values.promote), ...(values.version ? { version: values.version } : {}) },
        {
          onStage: (stage) => say(`${stage}...`),
          onIteration: (p) => iterations.update(p.iteration, p.loss === undefined ? '' : `loss ${p.loss.toFixed(1)}`),
        },
      );
      iterations.finish();
    }

    if (values.json) {
      stdout.write(
        `${JSON.stringify({
          tuneRunId: outcome.run.id,
          incumbent: { modelVersion: outcome.incumbentVersion, runId: outcome.incumbent?.runId ?? null, cvStrictMicroF1: incumbentCv, cardCvStrictMicroF1: t?.incumbent.cardCvStrictMicroF1 ?? null },
          best: best && bestSummary ? { runId: best.runId, name: best.name, cvStrictMicroF1: bestSummary.cvStrictMicroF1, pairedDelta: bestSummary.pairedDelta, parameters: bestSummary.parameters, templates: bestSummary.templates } : null,
          trials: outcome.summaries,
          stopReason: outcome.stopReason,
          wallSeconds: outcome.wallSeconds,
          budgetSeconds,
          trained: trained ? { runId: trained.run.id, modelVersion: trained.result.card.version, promoted: Boolean(values.promote), cvStrictMicroF1: trained.result.card.metrics.crossValidation?.mean.strict.micro.f1 ?? null, test: trained.result.card.metrics.test } : null,
        })}\n`,
      );
      return best ? 0 : 1;
    }

    const lines = [
      formatTrialsTable(outcome.summaries, best?.runId ?? null),
      '',
      `incumbent ${outcome.incumbentVersion}: CV strict micro F1 ${meanSd(incumbentCv) || 'not measured (its trial did not complete)'} (${outcome.folds} folds, seed ${outcome.seed}, entity bias ${outcome.entityBiasMode === 'auto' ? 'chosen by CV' : 'fixed'}` +
        `${t?.incumbent.cardCvStrictMicroF1 ? `; its model card says ${meanSd(t.incumbent.cardCvStrictMicroF1)}` : ''})`,
    ];
    if (best && bestSummary) {
      const paired = best.index === 1 ? 'the incumbent itself: no trial beat it' : `Δ over the incumbent fold by fold ${pairedText(bestSummary.pairedDelta)} folds better`;
      const noise = bestSummary.pairedDelta && best.index !== 1 && Math.abs(bestSummary.pairedDelta.mean) < bestSummary.pairedDelta.sd ? ' (within the fold-to-fold spread)' : '';
      lines.push(`best: trial ${best.index} (${best.name}): CV strict micro F1 ${meanSd(bestSummary.cvStrictMicroF1)}; ${paired}${noise}`);
      lines.push(`best configuration: ${trainCommandOf(best.run ?? { templates: best.config.templates, parameters: bestSummary.parameters, crossValidation: null })}`);
    } else {
      lines.push('best: none (no trial completed)');
    }
    lines.push(
      `trials: ${outcome.summaries.length} started, ${counts('completed')} completed, ${counts('cancelled')} cancelled at the budget, ${counts('failed')} failed; ` +
        `wall time ${duration(outcome.wallSeconds)}${budgetSeconds !== null ? ` of a ${duration(budgetSeconds)} budget` : ''}; stopped: ${outcome.stopReason}`,
      `runs: tune ${outcome.run.id} and its trials in ${paths.runsDir}${t?.resources.reusedFrom ? `; resources from ${t.resources.reusedFrom}` : ''}`,
    );
    if (trained) {
      const cv = trained.result.card.metrics.crossValidation?.mean.strict.micro.f1;
      const test = trained.result.card.metrics.test?.strict.micro.f1;
      lines.push(
        `trained model version ${trained.result.card.version}${values.promote ? ' and promoted it to production' : ''} (run ${trained.run.id}): CV strict micro F1 ${meanSd(cv)}` +
          `${test !== undefined ? `, test split ${f4(test)} (reported, not decided on)` : ''}`,
      );
    }
    stdout.write(`${lines.join('\n')}\n`);
    return best ? 0 : 1;
  },
};
