import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listVersionSummaries, productionState, readPromotionHistory } from '../../registry/model-registry.js';
import type { ModelState } from '../../registry/model-reloader.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';

/** One serving process's model: what it has loaded, since when, and a promoted version it refused. */
export interface ProcessModelState extends ModelState {
  pid: number;
  /** False when the process was started on a fixed version (serve --model) or with MODEL_RELOAD_POLL_MS=0. */
  hotReload: boolean;
}

export interface ModelRouteDeps {
  modelsDir: string;
  /** Every API process's state (in a cluster, as the processes last reported them). */
  processes(): ProcessModelState[];
}

const HISTORY_SHOWN = 20;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Problem = Type.Object({ code: Type.String(), message: Type.String() });

const ModelsResponse = Type.Object({
  production: Type.Object({
    version: nullable(Type.String()),
    promotedAt: nullable(Type.String()),
    problem: Type.Optional(Problem),
  }),
  versions: Type.Array(
    Type.Object({
      version: Type.String(),
      created: nullable(Type.String()),
      description: nullable(Type.String()),
      labelEncoding: nullable(Type.String()),
      templates: nullable(Type.Integer({ description: 'Number of feature templates' })),
      cvStrictMicroF1: nullable(Type.Object({ mean: Type.Number(), sd: Type.Number() }, { description: 'Cross-validation on the train split' })),
      testStrictMicroF1: nullable(Type.Number()),
      production: Type.Boolean(),
      problem: Type.Optional(Problem),
    }),
  ),
  processes: Type.Array(
    Type.Object({
      pid: Type.Integer(),
      version: Type.String({ description: 'The version this process serves' }),
      loadedAt: Type.String(),
      hotReload: Type.Boolean(),
      refused: nullable(
        Type.Object({ version: nullable(Type.String()), code: Type.String(), message: Type.String(), at: Type.String() }, { description: 'A promoted version this process refused to load' }),
      ),
    }),
  ),
  history: Type.Array(
    Type.Object({
      at: Type.String(),
      action: Type.Union([Type.Literal('promote'), Type.Literal('rollback')]),
      from: nullable(Type.String()),
      to: Type.String(),
      by: Type.String(),
      reason: Type.Optional(Type.String()),
    }),
    { description: `The last ${HISTORY_SHOWN} promotions and rollbacks, oldest first` },
  ),
});

/** GET /v1/models: the versions on disk (from their cards), the production pointer, what each API process serves. */
export function modelRoutes(app: FastifyInstance, deps: ModelRouteDeps): void {
  app.get(
    '/models',
    {
      schema: {
        summary: 'Model versions, the production version and the version each API process has loaded',
        tags: ['models'],
        response: { 200: ModelsResponse, ...V1_ERROR_RESPONSES },
      },
    },
    async () => {
      const { pointer, problem } = await productionState(deps.modelsDir);
      return {
        production: { version: pointer?.version ?? null, promotedAt: pointer?.promotedAt ?? null, ...(problem ? { problem } : {}) },
        versions: await listVersionSummaries(deps.modelsDir, pointer?.version ?? null),
        processes: [...deps.processes()].sort((a, b) => a.pid - b.pid),
        history: (await readPromotionHistory(deps.modelsDir)).slice(-HISTORY_SHOWN),
      };
    },
  );
}
