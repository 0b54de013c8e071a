import type { ConfidenceObservation } from '../core/tagger/calibration.js';
import { cpus } from 'node:os';
import type { EntityBias } from '../core/tagger/crfsuite-binding.js';
import { mergePredictionCounts, type PredictionCounts } from '../core/evaluation/drift.js';
import { averageReports, type AveragedReport } from '../core/evaluation/evaluation.js';
import { runTrainingJob, type FoldJob, type FoldReport } from './training-process.js';

export interface CrossValidationResult {
  folds: FoldReport[];
  /** The entity bias with the best mean strict micro F1, and the mean report there. */
  entityBias: EntityBias;
  mean: AveragedReport;
  /** Mean ± sd strict micro F1 at every entity bias tried. */
  entityBiasSearch: { entityBias: EntityBias; strictMicroF1: { mean: number; sd: number } }[];
  /** What the folds' models predicted on their held-out sentences at the chosen bias: every sentence once (drift profile). */
  outOfFold: PredictionCounts | null;
  /** Per fold, at the chosen bias: each held-out predicted span's raw confidence and whether it was right. */
  confidenceByFold: ConfidenceObservation[][] | null;
}

function averageAt(folds: readonly FoldReport[], index: number): AveragedReport {
  return averageReports(folds.map((f) => ({ ...(f.byEntityBias[index] as FoldReport['byEntityBias'][number]).report, errors: [] })));
}

/** k-fold cross-validation, folds in parallel child processes (one per core by default). */
export async function crossValidate(
  base: Omit<FoldJob, 'fold' | 'kind' | 'log' | 'entityBiasGrid'> & { entityBiasGrid?: EntityBias[] },
  options: { concurrency?: number; onFold?: (report: FoldReport, done: number) => void } = {},
): Promise<CrossValidationResult> {
  const concurrency = Math.max(1, options.concurrency ?? cpus().length);
  const grid = base.entityBiasGrid ?? [base.spec.parameters.entityBias];
  const reports: FoldReport[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < base.folds) {
      const fold = next++;
      const report = await runTrainingJob({ ...base, entityBiasGrid: grid, kind: 'fold', fold, log: false });
      reports.push(report);
      options.onFold?.(report, reports.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, base.folds) }, lane));
  return summarizeFolds(reports, grid);
}

/**
 * The cross-validation result of fold reports scored at each entity bias of `grid` (in grid order): the
 * bias with the best mean strict micro F1, the mean report there, the search. Tuning runs folds itself
 * (several configurations on one pool of processes) and summarises them here, as crossValidate does.
 */
export function summarizeFolds(folds: readonly FoldReport[], grid: readonly EntityBias[]): CrossValidationResult {
  const reports = [...folds].sort((a, b) => a.fold - b.fold);
  const search = grid.map((entityBias, index) => ({ entityBias, mean: averageAt(reports, index) }));
  const best = search.reduce((a, b) => (b.mean.strict.micro.f1.mean > a.mean.strict.micro.f1.mean ? b : a));
  const predictions = reports.map((r) => r.byEntityBias[search.indexOf(best)]?.predictions);
  const confidence = reports.map((r) => r.byEntityBias[search.indexOf(best)]?.confidence);
  return {
    folds: reports,
    entityBias: best.entityBias,
    mean: best.mean,
    entityBiasSearch: search.map((s) => ({ entityBias: s.entityBias, strictMicroF1: s.mean.strict.micro.f1 })),
    outOfFold: predictions.every((p) => p !== undefined) ? mergePredictionCounts(predictions as PredictionCounts[]) : null,
    confidenceByFold: confidence.every((c) => c !== undefined) ? (confidence as ConfidenceObservation[][]) : null,
  };
}
