import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NerError } from '../../errors.js';
import { driftOf } from '../../monitoring/nightly-metrics.js';
import { withStoreErrors } from '../../queue/job-service.js';
import type { NightlyRunStore } from '../../store/nightly-run-store.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';

const Json = Type.Unsafe<unknown>({ description: 'as written to the outbox (report.json)' });

/** The nightly runs: GET /v1/drift (the latest drift measured) and GET /v1/nightly/:day (a day's run and report). */
export function nightlyRoutes(app: FastifyInstance, { runs, databaseUrl }: { runs: () => NightlyRunStore; databaseUrl: string }): void {
  app.get(
    '/drift',
    {
      schema: {
        summary: 'Drift of the latest nightly run against the training data: score 0–1, per-feature scores and level (none, watch, retrain, alert)',
        tags: ['nightly'],
        response: { 200: Type.Object({ day: Type.String(), finishedAt: Type.String(), drift: Json }), ...V1_ERROR_RESPONSES },
      },
    },
    async () => {
      const run = await withStoreErrors(runs().latestFinished(), databaseUrl);
      const drift = driftOf(run);
      if (!run?.finishedAt || !drift) throw new NerError('NER_ERR_DRIFT_NOT_MEASURED', 'no finished nightly run has measured drift yet: run `behealthy batch --date YYYY-MM-DD`, or wait for the nightly run');
      return { day: run.day, finishedAt: run.finishedAt.toISOString(), drift };
    },
  );

  app.get<{ Params: { day: string } }>(
    '/nightly/:day',
    {
      schema: {
        summary: 'A day\'s nightly run: its state and, once finished, its report',
        tags: ['nightly'],
        params: Type.Object({ day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' }) }),
        response: {
          200: Type.Object({ day: Type.String(), jobId: Type.String(), state: Type.String(), startedAt: Type.String(), finishedAt: Type.Union([Type.String(), Type.Null()]), report: Json }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const run = await withStoreErrors(runs().get(request.params.day), databaseUrl).catch((error: unknown) => {
        // A well-formed but impossible date (2026-02-30) is simply a day without a run.
        if ((error as { code?: string }).code === '22008') return null;
        throw error;
      });
      if (!run) throw new NerError('NER_ERR_NIGHTLY_RUN_NOT_FOUND', `no nightly run has processed ${request.params.day}`);
      return { ...run, startedAt: run.startedAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null };
    },
  );
}
