import { Gauge, type Registry } from 'prom-client';
import type { NightlyReport } from './nightly-report.js';
import type { NightlyRun, NightlyRunStore } from '../store/nightly-run-store.js';

export const DRIFT_LEVELS = ['none', 'watch', 'retrain', 'alert'] as const;

interface DriftFigures {
  score?: number;
  level?: string;
  features?: { name?: string; score?: number }[];
}

/** The latest nightly run's drift, if it measured any. */
export function driftOf(run: NightlyRun | null): DriftFigures | null {
  const drift = (run?.report as Partial<NightlyReport> | null | undefined)?.drift as DriftFigures | null | undefined;
  return drift && typeof drift.score === 'number' ? drift : null;
}

/**
 * Nightly figures read from PostgreSQL at scrape time: the latest run (when it finished, its notes), the
 * latest success, and its drift score per feature and level. Nothing is reported while PostgreSQL is down;
 * `max` across API cluster processes, which all read the same rows.
 */
export function registerNightlyMetrics(registry: Registry, runs: NightlyRunStore): void {
  let latest: Promise<{ finished: NightlyRun | null; completed: NightlyRun | null } | null> | undefined;
  // One read per scrape, shared by the gauges below.
  const read = () => {
    latest ??= Promise.all([runs.latestFinished(), runs.latestCompleted()])
      .then(([finished, completed]) => ({ finished, completed }), () => null)
      .finally(() => setTimeout(() => (latest = undefined), 1_000).unref());
    return latest;
  };
  const gauge = (name: string, help: string, set: (g: Gauge, runs: { finished: NightlyRun | null; completed: NightlyRun | null }) => void, labelNames: string[] = []) =>
    new Gauge({
      name, help, labelNames, registers: [registry], aggregator: 'max',
      async collect() {
        this.reset();
        const found = await read();
        if (found) set(this, found);
      },
    });
  gauge('behealthy_nightly_last_run_timestamp_seconds', 'When the latest nightly run finished (completed or failed), unix seconds', (g, { finished }) => {
    if (finished?.finishedAt) g.set(finished.finishedAt.getTime() / 1000);
  });
  gauge('behealthy_nightly_last_success_timestamp_seconds', 'When the latest completed nightly run finished, unix seconds', (g, { completed }) => {
    if (completed?.finishedAt) g.set(completed.finishedAt.getTime() / 1000);
  });
  gauge('behealthy_nightly_last_run_notes', 'Notes read from the inbox by the latest finished nightly run', (g, { finished }) => {
    const notes = (finished?.report as Partial<NightlyReport> | null)?.notes;
    if (notes) g.set(notes.read);
  });
  gauge('behealthy_nightly_last_run_failed_notes', 'Notes of the latest finished nightly run that failed or were skipped', (g, { finished }) => {
    const notes = (finished?.report as Partial<NightlyReport> | null)?.notes;
    if (notes) g.set(notes.failed + notes.skipped);
  });
  gauge('behealthy_drift_score', 'Drift of the latest nightly run against the training data, 0–1, overall and per feature', (g, { finished }) => {
    const drift = driftOf(finished);
    if (!drift) return;
    g.set({ feature: 'overall' }, drift.score as number);
    for (const feature of drift.features ?? []) if (feature.name && typeof feature.score === 'number') g.set({ feature: feature.name }, feature.score);
  }, ['feature']);
  gauge('behealthy_drift_level', 'Drift level of the latest nightly run: 0 none, 1 watch, 2 retrain, 3 alert', (g, { finished }) => {
    const level = DRIFT_LEVELS.indexOf(driftOf(finished)?.level as (typeof DRIFT_LEVELS)[number]);
    if (level >= 0) g.set(level);
  });
}
