import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Extractor } from '../../extractor.js';
import type { ServiceMetrics } from '../../monitoring/metrics.js';
import type { DependencyCheck } from '../../dependency-check.js';

const CHECK_TIMEOUT_MS = 1_000;

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const DependencyState = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  detail: Type.Optional(Type.String()),
  neededBy: Type.Optional(Type.String()),
});

/**
 * GET /health: the process is alive. GET /ready: extraction is served (the model is loaded) and the state
 * of each optional dependency; "degraded" (still 200) when one is down, because extraction needs neither.
 * GET /metrics: Prometheus exposition.
 */
export function healthRoutes(
  app: FastifyInstance,
  {
    extractor,
    metrics,
    dependencies,
    exposition,
  }: { extractor: Extractor; metrics: ServiceMetrics; dependencies: readonly DependencyCheck[]; exposition: () => Promise<string> },
): void {
  app.get('/health', { schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the model, and each dependency (Redis, PostgreSQL) up or down',
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('ready'), Type.Literal('degraded')]),
            model: Type.Object({ status: Type.Literal('up'), version: Type.String() }),
            dependencies: Type.Record(Type.String(), DependencyState),
          }),
        },
      },
    },
    async () => {
      const states = await Promise.all(
        dependencies.map(async (dependency) => {
          try {
            await withTimeout(dependency.check(), CHECK_TIMEOUT_MS);
            return [dependency.name, { status: 'up' as const }] as const;
          } catch (error) {
            const reason = (error as Error).message || String(error);
            return [dependency.name, { status: 'down' as const, detail: `${reason}; ${dependency.hint}`, neededBy: dependency.neededBy }] as const;
          }
        }),
      );
      return {
        status: states.every(([, state]) => state.status === 'up') ? ('ready' as const) : ('degraded' as const),
        model: { status: 'up' as const, version: extractor.modelVersion },
        dependencies: Object.fromEntries(states),
      };
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return exposition();
  });
}
