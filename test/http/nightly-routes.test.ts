import { describe, expect, it } from 'vitest';
import { registerNightlyMetrics } from '../../src/monitoring/nightly-metrics.js';
import type { NightlyRun, NightlyRunStore } from '../../src/store/nightly-run-store.js';
import { testApp } from '../helpers/test-app.js';

/** An in-memory NightlyRunStore: the routes and gauges are under test, not PostgreSQL (nightly.redis.test.ts covers that). */
function memoryRuns(runs: NightlyRun[]): NightlyRunStore {
  const finished = () => runs.filter((r) => r.finishedAt).sort((a, b) => (b.finishedAt as Date).getTime() - (a.finishedAt as Date).getTime());
  return {
    start: async () => {},
    finish: async () => {},
    get: async (day) => runs.find((r) => r.day === day) ?? null,
    latestFinished: async () => finished()[0] ?? null,
    latestCompleted: async () => finished().find((r) => r.state === 'completed') ?? null,
  };
}

const drift = { score: 0.31, level: 'alert', features: [{ name: 'token-shape', score: 0.31 }, { name: 'sentence-length', score: 0.05 }] };
const completed: NightlyRun = {
  day: '2026-03-04', jobId: '6f0c2b1e-0000-5000-8000-000000000001', state: 'completed',
  startedAt: new Date('2026-03-05T02:00:00Z'), finishedAt: new Date('2026-03-05T02:10:00Z'),
  report: { notes: { read: 120, done: 117, failed: 1, skipped: 2 }, drift },
};
const failed: NightlyRun = { ...completed, day: '2026-03-05', state: 'failed', finishedAt: new Date('2026-03-06T02:05:00Z'), report: { error: 'inbox unreadable' } };

describe('nightly routes', () => {
  it('GET /v1/drift answers the latest drift measured, 404 before any, 503 without PostgreSQL', async () => {
    const { app } = await testApp({ nightlyRuns: memoryRuns([completed]) });
    const response = await app.inject({ url: '/v1/drift' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ day: '2026-03-04', finishedAt: '2026-03-05T02:10:00.000Z', drift });

    const empty = await testApp({ nightlyRuns: memoryRuns([]) });
    const none = await empty.app.inject({ url: '/v1/drift' });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('NER_ERR_DRIFT_NOT_MEASURED');

    const unconfigured = await testApp();
    const down = await unconfigured.app.inject({ url: '/v1/drift' });
    expect(down.statusCode).toBe(503);
    expect(down.json().error.code).toBe('NER_ERR_STORE_UNAVAILABLE');
  });

  it('GET /v1/nightly/:day answers a day\'s run, 404 for a day without one, 400 for a malformed day', async () => {
    const { app } = await testApp({ nightlyRuns: memoryRuns([completed, failed]) });
    const day = await app.inject({ url: '/v1/nightly/2026-03-04' });
    expect(day.statusCode).toBe(200);
    expect(day.json()).toMatchObject({ day: '2026-03-04', state: 'completed', finishedAt: '2026-03-05T02:10:00.000Z', report: { notes: { read: 120 } } });
    const missing = await app.inject({ url: '/v1/nightly/2026-01-01' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'NER_ERR_NIGHTLY_RUN_NOT_FOUND', message: expect.stringContaining('2026-01-01') });
    expect((await app.inject({ url: '/v1/nightly/yesterday' })).json().error.code).toBe('NER_ERR_HTTP_VALIDATION');
  });

  it('/metrics reports the latest run, the latest success and the drift per feature', async () => {
    const { app, metrics } = await testApp({ nightlyRuns: memoryRuns([completed, failed]) });
    registerNightlyMetrics(metrics.registry, memoryRuns([completed, failed]));
    const text = (await app.inject({ url: '/metrics' })).body;
    expect(text).toContain(`behealthy_nightly_last_run_timestamp_seconds ${failed.finishedAt!.getTime() / 1000}`);
    expect(text).toContain(`behealthy_nightly_last_success_timestamp_seconds ${completed.finishedAt!.getTime() / 1000}`);
    // The failed run measured no drift, so the latest drift gauges are absent rather than stale.
    expect(text).not.toMatch(/^behealthy_drift_score\{/m);

    const onlyCompleted = await testApp();
    registerNightlyMetrics(onlyCompleted.metrics.registry, memoryRuns([completed]));
    const figures = (await onlyCompleted.app.inject({ url: '/metrics' })).body;
    expect(figures).toContain('behealthy_drift_score{feature="overall"} 0.31');
    expect(figures).toContain('behealthy_drift_score{feature="sentence-length"} 0.05');
    expect(figures).toContain('behealthy_drift_level 3');
    expect(figures).toContain('behealthy_nightly_last_run_notes 120');
    expect(figures).toContain('behealthy_nightly_last_run_failed_notes 3');
  });
});
