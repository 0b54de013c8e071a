import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { listRuns, readRun, type Run } from '../../src/registry/runs.js';
import { SAMPLE_DIR } from '../helpers/sample-model.js';

const run = runCli;

/**
 * train → tune → runs, on the small sample corpus: the incumbent is a model trained here with three
 * templates and 20 iterations, so each 2-fold trial takes a second or two (most of it starting processes).
 */
describe('behealthy train, tune and runs (sample corpus)', () => {
  let dir: string;
  let models: string;
  let runs: string;
  let trainRunId: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tune-'));
    models = join(dir, 'models');
    runs = join(dir, 'runs');
    const trained = await run([
      'train', '--corpus', SAMPLE_DIR, '--models', models, '--runs', runs, '--templates', 'lower,suffix,shape',
      '--folds', '2', '--iterations', '20', '--version', 'tune-test.1', '--promote', '--json',
    ]);
    expect(trained.code).toBe(0);
    trainRunId = JSON.parse(trained.stdout).runId;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records a train run with parameters, data digests, CV per fold, test scores and versions', async () => {
    const recorded = await readRun(runs, trainRunId);
    expect(recorded).toMatchObject({
      kind: 'train', status: 'completed', modelVersion: 'tune-test.1', templates: ['lower', 'suffix', 'shape'],
      parameters: { c1: 0.05, c2: 0.1, iterations: 20, labelEncoding: 'BIO', entityBiasMode: 'auto' },
      environment: { node: process.version },
    });
    expect(recorded.data?.files.map((f) => f.path)).toEqual(['train_sent', 'train_label']);
    expect(recorded.crossValidation?.perFold).toHaveLength(2);
    expect(recorded.crossValidation?.mean.strict.micro.f1).toHaveProperty('sd');
    expect(recorded.test?.strict.micro).toHaveProperty('f1');
    expect(recorded.environment.crfsuite).toMatch(/^\d+\.\d+/);
    expect(recorded.environment.compromise).toMatch(/^\d+\.\d+/);
  });

  it('tunes within its budget: the incumbent first, several trials, each recorded, and the best', async () => {
    const budget = 8;
    const started = performance.now();
    const { code, stdout, stderr } = await run(['tune', '--corpus', SAMPLE_DIR, '--models', models, '--runs', runs, '--budget', `${budget}s`, '--folds', '2', '--json']);
    const seconds = (performance.now() - started) / 1000;
    expect(code).toBe(0);
    expect(stderr).toContain('tune [');
    expect(stderr).toContain('trial 1 (incumbent)');
    const out = JSON.parse(stdout);
    expect(out.trials.length).toBeGreaterThan(1);
    expect(out.trials[0].name).toBe('incumbent');
    // Trials still running at the budget are cancelled: the tune ends on time (killing and recording take a moment).
    expect(out.wallSeconds).toBeLessThanOrEqual(budget + 2);
    expect(seconds).toBeLessThan(budget + 5);
    // The best is at least the incumbent's CV (it is one of the trials).
    expect(out.best.cvStrictMicroF1.mean).toBeGreaterThanOrEqual(out.incumbent.cvStrictMicroF1.mean);
    expect(out.incumbent.modelVersion).toBe('tune-test.1');

    const tuneRun = await readRun(runs, out.tuneRunId);
    expect(tuneRun.kind).toBe('tune');
    expect(tuneRun.tune?.trials.map((t) => t.runId)).toEqual(out.trials.map((t: { runId: string }) => t.runId));
    expect(tuneRun.tune?.best?.runId).toBe(out.best.runId);
    expect(tuneRun.crossValidation?.mean.strict.micro.f1.mean).toBe(out.best.cvStrictMicroF1.mean);
    const trials = await listRuns(runs, { kind: 'tune-trial' });
    expect(trials.filter((t) => t.parentId === out.tuneRunId)).toHaveLength(out.trials.length);
    for (const trial of trials.filter((t: Run) => t.status === 'completed')) {
      expect(trial.crossValidation?.perFold).toHaveLength(2);
      expect(trial.data?.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(trial.test).toBeNull();
    }
    // The incumbent's trial reproduces the train run's cross-validation (same folds, seed, configuration).
    const incumbentTrial = await readRun(runs, out.incumbent.runId);
    const trained = await readRun(runs, trainRunId);
    expect(incumbentTrial.crossValidation?.mean.strict.micro.f1.mean).toBe(trained.crossValidation?.mean.strict.micro.f1.mean);
  });

  it('stops at --trials, and prints a table of trials and the best configuration', async () => {
    const { code, stdout } = await run(['tune', '--corpus', SAMPLE_DIR, '--models', models, '--runs', runs, '--trials', '3', '--folds', '2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^#\s+trial/);
    expect(stdout).toContain('incumbent tune-test.1: CV strict micro F1');
    expect(stdout).toContain('best configuration: behealthy train --templates');
    expect(stdout).toContain('trials: 3 started, 3 completed');
    expect(stdout).toContain('stopped: 3 trial(s) started (--trials)');
  });

  it('cancels a trial still running at the budget and records it as cancelled', async () => {
    const { code, stdout } = await run(['tune', '--corpus', SAMPLE_DIR, '--models', models, '--runs', runs, '--budget', '0.2s', '--folds', '2', '--json']);
    expect(code).toBe(1);
    const out = JSON.parse(stdout);
    expect(out.best).toBeNull();
    expect(out.trials).toHaveLength(1);
    expect(out.trials[0].status).toBe('cancelled');
    expect((await readRun(runs, out.trials[0].runId)).status).toBe('cancelled');
    expect((await readRun(runs, out.tuneRunId)).status).toBe('cancelled');
  });

  it('lists, shows and compares runs; an unknown id is NER_ERR_RUN_NOT_FOUND', async () => {
    const list = await run(['runs', 'list', '--runs', runs, '--kind', 'train']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(trainRunId);
    expect(list.stdout).toContain('→ tune-test.1');
    const all = JSON.parse((await run(['runs', 'list', '--runs', runs, '--json', '--limit', '100'])).stdout) as Run[];
    expect(new Set(all.map((r) => r.kind))).toEqual(new Set(['train', 'tune-trial', 'tune']));
    const trial = all.find((r) => r.kind === 'tune-trial' && r.status === 'completed' && r.name !== 'incumbent') as Run;
    const shown = await run(['runs', 'show', trial.id.slice(0, 22), '--runs', runs]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`run ${trial.id}`);
    expect(shown.stdout).toContain('cross-validation: 2 folds');
    const compared = await run(['runs', 'compare', trainRunId, trial.id, '--runs', runs]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toContain('strict micro');
    expect(compared.stdout).toContain('b − a');
    const missing = await run(['runs', 'show', 'no-such-run', '--runs', runs]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NER_ERR_RUN_NOT_FOUND');
    expect((await run(['runs', 'frobnicate', '--runs', runs])).code).toBe(2);
  });

  it('--train-best trains a version with the best configuration, records it under the tune, and --promote promotes it', async () => {
    const { code, stdout } = await run(['tune', '--corpus', SAMPLE_DIR, '--models', models, '--runs', runs, '--trials', '2', '--folds', '2', '--train-best', '--version', 'tune-test.2', '--promote', '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.trained).toMatchObject({ modelVersion: 'tune-test.2', promoted: true });
    // The same folds, seed and configuration: the trained version's CV is the best trial's.
    expect(out.trained.cvStrictMicroF1.mean).toBe(out.best.cvStrictMicroF1.mean);
    const trainedRun = await readRun(runs, out.trained.runId);
    expect(trainedRun).toMatchObject({ kind: 'train', parentId: out.tuneRunId, modelVersion: 'tune-test.2' });
    expect(trainedRun.test).not.toBeNull();
    expect((await readRun(runs, out.tuneRunId)).tune).toMatchObject({ trainedRunId: out.trained.runId, promoted: true });
    expect(JSON.parse(await readFile(join(models, 'production.json'), 'utf8')).version).toBe('tune-test.2');
  });

  it('refuses --promote without --train-best', async () => {
    const { code, stderr } = await run(['tune', '--models', models, '--runs', runs, '--promote']);
    expect(code).toBe(2);
    expect(stderr).toContain('--train-best');
    expect(JSON.parse(await readFile(join(models, 'production.json'), 'utf8')).version).toBe('tune-test.2');
  });
});
