import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { EntityBias } from '../core/tagger/crfsuite-binding.js';
import { TEMPLATE_LIBRARY } from '../core/tagger/feature-templates.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { isNerError, NerError } from '../errors.js';
import { parseModelCard, type DataFileDigest, type ModelCard } from '../registry/model-card.js';
import { CARD_FILE, readProductionVersion } from '../registry/model-store.js';
import { promoteVersion, whoAmI } from '../registry/model-registry.js';
import { gitCommit, runEnvironment } from '../registry/run-environment.js';
import { pairedDelta, runCrossValidation, runParameters, trainRun } from './run-records.js';
import { createRunId, recordRun, RUN_SCHEMA_VERSION, type Run, type RunData, type RunParameters, type RunStatus, type TuneTrialSummary } from '../registry/runs.js';
import { summarizeFolds, type CrossValidationResult } from './cross-validate.js';
import { combinedDigest, ENTITY_BIAS_GRID, tokenCount, trainModelVersion, type TrainModelVersionEvents, type TrainModelVersionResult } from './train-model-version.js';
import { runTrainingJob, type FoldJob, type FoldReport } from './training-process.js';
import { CoordinateSearch, describeChange, estimateFinish, estimateFoldSeconds, searchSpace, type FoldObservation, type Proposal, type TrialConfig } from './tune-search.js';
import { prepareTuneResources, resourceDataFiles, templateAvailable } from './tune-resources.js';

/**
 * `behealthy tune`: k-fold cross-validation of configurations on the train split only (never the test split),
 * the production model's configuration first, within a wall-clock budget and/or a number of trials.
 *
 * Folds of all trials share one pool of training processes, one per core: a new trial is started when a
 * process would otherwise sit idle (the last folds of a trial no longer leave a core unused), and only when
 * its estimated end (seconds per L-BFGS iteration seen so far, with a margin) fits in the budget. At the
 * budget any trial still running is cancelled — its processes killed, its run recorded as cancelled, and it
 * never counts as the best — so the tune ends on time. Every trial is recorded as a `tune-trial` run, the tune
 * as a `tune` run holding the trials and the best.
 */

export interface TuneRequest {
  corpusDir: string;
  lexiconDir: string;
  notesFile: string;
  modelDir: string;
  runsDir: string;
  /** The configuration searched around (the first trial); default: the production version. */
  incumbentVersion?: string;
  /** Wall-clock budget from the call, in seconds (null: none). */
  budgetSeconds: number | null;
  /** Most trials to start, the incumbent included (null: no limit). */
  maxTrials: number | null;
  /** Default: the incumbent card's cross-validation folds and seed (so its figure is reproduced), else 5 / 42. */
  folds?: number;
  seed?: number;
  /** Training processes at once; default one per core. */
  concurrency?: number;
  /** Build the lexicon / notes resources instead of copying the incumbent version's. */
  buildResources?: boolean;
}

export interface TuneTrial {
  /** 1-based, in the order trials were started. */
  index: number;
  runId: string;
  /** What it changes from the incumbent. */
  name: string;
  /** The move that proposed it, from the best configuration of the moment. */
  move: string;
  config: TrialConfig;
  status: 'running' | RunStatus;
  startedAt: number;
  finishedAt: number | null;
  foldsDone: number;
  crossValidation: CrossValidationResult | null;
  run: Run | null;
  error?: string;
}

export interface TuneEvents {
  onStage?(stage: string): void;
  onWarning?(message: string): void;
  onTrialStart?(trial: TuneTrial): void;
  onFold?(trial: TuneTrial, report: FoldReport): void;
  /** `best`: the trial is the best completed so far. */
  onTrialEnd?(trial: TuneTrial, summary: TuneTrialSummary, best: boolean): void;
}

export interface TuneOutcome {
  /** The tune's run, as recorded. */
  run: Run;
  trials: TuneTrial[];
  summaries: TuneTrialSummary[];
  best: TuneTrial | null;
  incumbent: TuneTrial | null;
  incumbentVersion: string;
  entityBiasMode: RunParameters['entityBiasMode'];
  entityBiasGrid: EntityBias[];
  folds: number;
  seed: number;
  stopReason: string;
  wallSeconds: number;
}

const MAX_FAILURES_IN_A_ROW = 3;

async function readCard(modelDir: string, version: string): Promise<ModelCard> {
  const path = join(modelDir, version, CARD_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NerError('NER_ERR_MODEL_NOT_FOUND', `no model version ${version} to tune from`, { file: path, cause });
  }
  return parseModelCard(text, path);
}

/** The incumbent's configuration (entity bias left to the tune) and how its entity bias was chosen. */
export function incumbentOf(card: ModelCard): { config: TrialConfig; entityBiasMode: RunParameters['entityBiasMode']; grid: EntityBias[] } {
  const searched = (card.metrics.crossValidation?.entityBiasSearch.length ?? 0) > 1;
  return {
    config: {
      templates: [...card.templates],
      labelEncoding: card.labelEncoding,
      spanRules: [...(card.spanRules ?? [])],
      parameters: { ...card.trainingParameters, entityBias: { D: 0, T: 0 } },
      ...(card.decoding ? { decoding: card.decoding } : {}),
    },
    entityBiasMode: searched ? 'auto' : 'fixed',
    grid: searched ? ENTITY_BIAS_GRID : [card.trainingParameters.entityBias],
  };
}

export async function tune(request: TuneRequest, events: TuneEvents = {}): Promise<TuneOutcome> {
  const startedAt = Date.now();
  const deadline = request.budgetSeconds === null ? Infinity : startedAt + request.budgetSeconds * 1000;
  const tuneId = createRunId(new Date(startedAt));
  const incumbentVersion = request.incumbentVersion ?? (await readProductionVersion(request.modelDir));
  const card = await readCard(request.modelDir, incumbentVersion);
  const { config: incumbentConfig, entityBiasMode, grid } = incumbentOf(card);
  const folds = request.folds ?? card.metrics.crossValidation?.folds ?? 5;
  const seed = request.seed ?? card.metrics.crossValidation?.seed ?? 42;
  if (!Number.isInteger(folds) || folds < 2) throw new NerError('NER_ERR_CLI_USAGE', `--folds must be an integer of at least 2, got ${folds}`);
  const concurrency = Math.max(1, request.concurrency ?? availableParallelism());
  const environment = runEnvironment();
  const commit = gitCommit();

  events.onStage?.('reading the train split');
  const train = await readBeHealthySplit(request.corpusDir, 'train');
  const workDir = await mkdtemp(join(tmpdir(), 'behealthy-tune-'));
  try {
    const library = TEMPLATE_LIBRARY.map((t) => t.name);
    events.onStage?.(request.buildResources ? 'building the resources' : `preparing the resources (from ${incumbentVersion} where it ships them)`);
    const resources = await prepareTuneResources({
      directory: workDir,
      incumbentTemplates: incumbentConfig.templates,
      candidateTemplates: library.filter((t) => !incumbentConfig.templates.includes(t)),
      incumbent: { directory: join(request.modelDir, incumbentVersion), card },
      lexiconDir: request.lexiconDir,
      notesFile: request.notesFile,
      trainSentences: train.sentences,
      build: request.buildResources ?? false,
      onStage: events.onStage,
    });
    for (const warning of resources.warnings) events.onWarning?.(warning);
    const space = searchSpace(incumbentConfig, library, (t) => templateAvailable(resources, t));
    const search = new CoordinateSearch(incumbentConfig, space, seed);
    const trainFiles: DataFileDigest[] = train.files.map((f) => ({ path: basename(f.path), sha256: f.sha256 }));
    const tokens = tokenCount(train.sentences);
    const dataOf = (templates: readonly string[]): RunData => {
      const files = [...trainFiles, ...resourceDataFiles(resources, templates)];
      return { corpus: basename(request.corpusDir), split: 'train', sentences: train.sentences.length, tokens, files, sha256: combinedDigest(files) };
    };

    const trials: TuneTrial[] = [];
    const observations: FoldObservation[] = [];
    const writes: Promise<unknown>[] = [];
    const foldWall = new Map<TuneTrial, Map<number, number>>();
    const reports = new Map<TuneTrial, FoldReport[]>();
    const runningOf = new Map<TuneTrial, number>();
    const running = new Set<{ trial: TuneTrial; startedAt: number; estimate: number | null }>();
    const queue: { trial: TuneTrial; fold: number }[] = [];
    const controller = new AbortController();
    let stopReason: string | null = null;
    let failuresInARow = 0;
    let bestTrial: TuneTrial | null = null;

    const summaryOf = (trial: TuneTrial): TuneTrialSummary => {
      const incumbent = trials[0];
      const cv = trial.run?.crossValidation ?? null;
      const incumbentCv = incumbent?.run?.crossValidation ?? null;
      return {
        runId: trial.runId,
        name: trial.name,
        status: trial.status === 'running' ? 'cancelled' : trial.status,
        templates: trial.config.templates,
        parameters: trial.run?.parameters ?? runParameters(trial.config, entityBiasMode),
        cvStrictMicroF1: cv ? { ...cv.mean.strict.micro.f1 } : null,
        pairedDelta: cv && incumbentCv ? pairedDelta(incumbentCv, cv) : null,
        seconds: ((trial.finishedAt ?? Date.now()) - trial.startedAt) / 1000,
      };
    };

    const trialRun = (trial: TuneTrial): Run => {
      const cv = trial.crossValidation;
      const entityBias = cv ? cv.entityBias : entityBiasMode === 'fixed' ? (grid[0] as EntityBias) : { D: 0, T: 0 };
      const spec = { ...trial.config, parameters: { ...trial.config.parameters, entityBias } };
      const finishedAt = trial.finishedAt ?? Date.now();
      return {
        schemaVersion: RUN_SCHEMA_VERSION,
        id: trial.runId,
        kind: 'tune-trial',
        status: trial.status === 'running' ? 'cancelled' : trial.status,
        name: trial.name,
        startedAt: new Date(trial.startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        durationSeconds: (finishedAt - trial.startedAt) / 1000,
        parentId: tuneId,
        parameters: runParameters(spec, entityBiasMode),
        templates: [...trial.config.templates],
        data: dataOf(trial.config.templates),
        crossValidation: cv ? runCrossValidation(cv, seed, foldWall.get(trial)) : null,
        test: null,
        modelVersion: null,
        gitCommit: commit,
        environment,
        ...(trial.error ? { error: trial.error } : {}),
        details: { trial: trial.index, move: trial.move, incumbentVersion },
      };
    };

    const finishTrial = (trial: TuneTrial, status: RunStatus, error?: string): void => {
      trial.status = status;
      trial.finishedAt = Date.now();
      if (error) trial.error = error;
      if (status === 'completed') {
        trial.crossValidation = summarizeFolds(reports.get(trial) ?? [], grid);
        failuresInARow = 0;
      } else if (status === 'failed') {
        failuresInARow++;
        if (trial.index === 1) stopReason ??= `the incumbent's trial failed: ${error ?? 'unknown error'}`;
        else if (failuresInARow >= MAX_FAILURES_IN_A_ROW) stopReason ??= `${MAX_FAILURES_IN_A_ROW} trials failed in a row`;
      }
      trial.run = trialRun(trial);
      let isBest = false;
      if (trial.crossValidation) {
        search.completed(trial.config, trial.crossValidation.mean.strict.micro.f1.mean);
        const score = trial.crossValidation.mean.strict.micro.f1.mean;
        if (!bestTrial?.crossValidation || score > bestTrial.crossValidation.mean.strict.micro.f1.mean) {
          bestTrial = trial;
          isBest = true;
        }
      }
      // Awaited after the loop; caught here so that a failed write does not surface as an unhandled rejection meanwhile.
      writes.push(recordRun(request.runsDir, trial.run).then(() => null, (error: unknown) => error));
      events.onTrialEnd?.(trial, summaryOf(trial), isBest);
    };

    const slotFreeTimes = (now: number): number[] => {
      const times = [...running].map((r) => {
        const estimate = r.estimate ?? estimateFoldSeconds(observations, r.trial.config) ?? 0;
        return Math.max(now, r.startedAt + estimate * 1000);
      });
      while (times.length < concurrency) times.push(now);
      return times.sort((a, b) => a - b).slice(0, concurrency);
    };

    /** Starts the next trial, or sets stopReason. */
    const startTrial = (): void => {
      if (request.maxTrials !== null && trials.length >= request.maxTrials) {
        stopReason = `${request.maxTrials} trial(s) started (--trials)`;
        return;
      }
      const proposals = search.proposals();
      if (proposals.length === 0) {
        stopReason = 'search space exhausted';
        return;
      }
      const now = Date.now();
      let chosen: Proposal | undefined;
      for (const proposal of proposals) {
        const foldSeconds = estimateFoldSeconds(observations, proposal.config);
        if (foldSeconds === null || estimateFinish(slotFreeTimes(now), folds, foldSeconds * 1000) <= deadline) {
          chosen = proposal;
          break;
        }
      }
      if (!chosen) {
        stopReason = 'budget: the time left fits no further trial';
        return;
      }
      search.started(chosen);
      const trial: TuneTrial = {
        index: trials.length + 1,
        runId: createRunId(),
        name: describeChange(incumbentConfig, chosen.config),
        move: chosen.move,
        config: chosen.config,
        status: 'running',
        startedAt: now,
        finishedAt: null,
        foldsDone: 0,
        crossValidation: null,
        run: null,
      };
      trials.push(trial);
      reports.set(trial, []);
      foldWall.set(trial, new Map());
      runningOf.set(trial, 0);
      for (let fold = 0; fold < folds; fold++) queue.push({ trial, fold });
      events.onTrialStart?.(trial);
    };

    await new Promise<void>((resolveAll) => {
      let settled = false;
      const timer = Number.isFinite(deadline)
        ? setTimeout(() => {
            stopReason ??= 'budget reached';
            controller.abort();
            // Folds not yet started belong to trials being cancelled with it.
            for (const { trial } of queue.splice(0)) if (trial.status === 'running' && runningOf.get(trial) === 0) finishTrial(trial, 'cancelled', 'cancelled at the budget');
            pump();
          }, Math.max(0, deadline - Date.now()))
        : null;

      const launch = (task: { trial: TuneTrial; fold: number }): void => {
        const { trial, fold } = task;
        const entry = { trial, startedAt: Date.now(), estimate: estimateFoldSeconds(observations, trial.config) };
        running.add(entry);
        runningOf.set(trial, (runningOf.get(trial) ?? 0) + 1);
        const job: FoldJob = {
          kind: 'fold', sentences: train.sentences, spec: trial.config, resourceDir: workDir,
          folds, fold, seed, log: false, entityBiasGrid: grid,
        };
        runTrainingJob(job, undefined, { signal: controller.signal })
          .then((report) => {
            const seconds = (Date.now() - entry.startedAt) / 1000;
            observations.push({ iterations: trial.config.parameters.maxIterations, seconds });
            foldWall.get(trial)?.set(fold, seconds);
            reports.get(trial)?.push(report);
            trial.foldsDone++;
            events.onFold?.(trial, report);
            if (trial.status === 'running' && trial.foldsDone === folds) finishTrial(trial, 'completed');
          })
          .catch((error: unknown) => {
            if (trial.status !== 'running') return;
            if (controller.signal.aborted) {
              finishTrial(trial, 'cancelled', 'cancelled at the budget: its training processes were killed');
            } else {
              const message = isNerError(error) || error instanceof Error ? error.message : String(error);
              // Its other folds are dropped; those running finish and are ignored.
              for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.trial === trial) queue.splice(i, 1);
              finishTrial(trial, 'failed', message);
            }
          })
          .finally(() => {
            running.delete(entry);
            runningOf.set(trial, (runningOf.get(trial) ?? 1) - 1);
            pump();
          });
      };

      function pump(): void {
        while (running.size < concurrency && !controller.signal.aborted) {
          if (queue.length === 0 && stopReason === null) startTrial();
          const task = queue.shift();
          if (!task) break;
          launch(task);
        }
        if (!settled && running.size === 0 && (queue.length === 0 || controller.signal.aborted)) {
          settled = true;
          if (timer) clearTimeout(timer);
          resolveAll();
        }
      }
      pump();
    });
    const writeError = (await Promise.all(writes)).find((e) => e !== null);
    if (writeError) throw writeError;

    const finishedAt = Date.now();
    const summaries = trials.map(summaryOf);
    const incumbent = trials[0] ?? null;
    const best = bestTrial as TuneTrial | null;
    const reference = best ?? incumbent;
    const referenceRun = reference?.run ?? null;
    const run: Run = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id: tuneId,
      kind: 'tune',
      status: best ? 'completed' : incumbent?.status === 'failed' ? 'failed' : 'cancelled',
      name: best ? `tune from ${incumbentVersion}: best ${best.name}` : `tune from ${incumbentVersion}: no trial completed`,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationSeconds: (finishedAt - startedAt) / 1000,
      parentId: null,
      parameters: referenceRun?.parameters ?? runParameters(incumbentConfig, entityBiasMode),
      templates: [...(reference?.config.templates ?? incumbentConfig.templates)],
      data: referenceRun?.data ?? dataOf(incumbentConfig.templates),
      crossValidation: best?.run?.crossValidation ?? null,
      test: null,
      modelVersion: null,
      gitCommit: commit,
      environment,
      ...(best ? {} : { error: incumbent?.error ?? 'no trial completed' }),
      tune: {
        budgetSeconds: request.budgetSeconds,
        maxTrials: request.maxTrials,
        concurrency,
        incumbent: {
          modelVersion: incumbentVersion,
          runId: incumbent?.runId ?? null,
          cvStrictMicroF1: incumbent?.run?.crossValidation ? { ...incumbent.run.crossValidation.mean.strict.micro.f1 } : null,
          cardCvStrictMicroF1: card.metrics.crossValidation ? { ...card.metrics.crossValidation.mean.strict.micro.f1 } : null,
        },
        trials: summaries,
        best: best?.run?.crossValidation ? { runId: best.runId, name: best.name, cvStrictMicroF1: { ...best.run.crossValidation.mean.strict.micro.f1 } } : null,
        stopReason: stopReason ?? 'done',
        atBudget: 'cancelled',
        resources: { reusedFrom: resources.reusedFrom, built: resources.built },
        trainedRunId: null,
        promoted: false,
      },
    };
    await recordRun(request.runsDir, run);
    return {
      run, trials, summaries, best, incumbent, incumbentVersion, entityBiasMode, entityBiasGrid: grid, folds, seed,
      stopReason: stopReason ?? 'done', wallSeconds: (finishedAt - startedAt) / 1000,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export interface TrainBestRequest {
  corpusDir: string;
  lexiconDir: string;
  notesFile: string;
  modelDir: string;
  runsDir: string;
  promote: boolean;
  version?: string;
}

export interface TrainBestResult {
  result: TrainModelVersionResult;
  run: Run;
  /** The tune's run, updated with the trained run's id and the promotion. */
  tuneRun: Run;
}

/**
 * `tune --train-best`: a model version trained with the best configuration through trainModelVersion (its
 * cross-validation on the same folds, the model on the whole train split, the test split scored and
 * reported), recorded as a `train` run whose parent is the tune; `promote` makes it production.
 */
export async function trainTunedBest(outcome: TuneOutcome, request: TrainBestRequest, events: TrainModelVersionEvents = {}): Promise<TrainBestResult> {
  const best = outcome.best;
  if (!best) throw new NerError('NER_ERR_TRAINING_FAILED', 'the tune has no completed trial to train');
  const started = new Date();
  const result = await trainModelVersion(
    {
      corpusDir: request.corpusDir,
      lexiconDir: request.lexiconDir,
      notesFile: request.notesFile,
      modelDir: request.modelDir,
      spec: best.config,
      folds: outcome.folds,
      seed: outcome.seed,
      evaluateTest: true,
      entityBias: outcome.entityBiasMode === 'auto' ? 'auto' : (outcome.entityBiasGrid[0] as EntityBias),
      description: `CRF disease/treatment tagger, configuration tuned by run ${outcome.run.id} (${best.name}) from ${outcome.incumbentVersion}`,
      ...(request.version ? { version: request.version } : {}),
    },
    events,
  );
  const run = trainRun({
    id: createRunId(),
    name: `tuned ${best.name} (${result.card.version})`,
    startedAt: started,
    finishedAt: new Date(),
    parentId: outcome.run.id,
    result,
    entityBiasMode: outcome.entityBiasMode,
    environment: runEnvironment(),
    details: { tuneRunId: outcome.run.id, bestTrialRunId: best.runId, promoted: request.promote },
  });
  await recordRun(request.runsDir, run);
  if (request.promote) await promoteVersion(request.modelDir, result.card.version, { by: whoAmI(), reason: 'behealthy tune --train-best --promote' });
  const tuneRun: Run = { ...outcome.run, modelVersion: result.card.version };
  if (outcome.run.tune) tuneRun.tune = { ...outcome.run.tune, trainedRunId: run.id, promoted: request.promote };
  await recordRun(request.runsDir, tuneRun);
  return { result, run, tuneRun };
}
