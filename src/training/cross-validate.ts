import { cpus } from 'node:os';
import { averageReports, type AveragedReport } from '../core/evaluation.js';
import { runTrainingJob, type FoldJob, type FoldReport } from './training-process.js';

export interface CrossValidationResult {
  folds: FoldReport[];
  mean: AveragedReport;
}

/** k-fold cross-validation, folds in parallel child processes (one per core by default). */
export async function crossValidate(
  base: Omit<FoldJob, 'fold' | 'kind' | 'log'>,
  options: { concurrency?: number; onFold?: (report: FoldReport, done: number) => void } = {},
): Promise<CrossValidationResult> {
  const concurrency = Math.max(1, options.concurrency ?? cpus().length);
  const reports: FoldReport[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < base.folds) {
      const fold = next++;
      const report = await runTrainingJob({ ...base, kind: 'fold', fold, log: false });
      reports.push(report);
      options.onFold?.(report, reports.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, base.folds) }, lane));
  reports.sort((a, b) => a.fold - b.fold);
  return { folds: reports, mean: averageReports(reports.map((r) => ({ ...r, errors: [] }))) };
}
