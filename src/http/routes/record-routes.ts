import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NerError } from '../../errors.js';
import { withStoreErrors } from '../../queue/job-service.js';
import type { RecordStore } from '../../store/record-store.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';

const StoredRecordSchema = Type.Object({
  record: Type.Ref('Record'),
  jobId: Type.String(),
  processedAt: Type.String(),
});

/**
 * A count in the query string. Request validation does not coerce types (a note's text given as a number is
 * an error, not "42"), so counts are validated as digit strings and read here.
 */
function limitParameter(max: number, fallback: number) {
  return Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: `1 to ${max} (default ${fallback})` });
}

function parseLimit(value: string | undefined, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (limit > max) throw new NerError('NER_ERR_HTTP_VALIDATION', `querystring/limit must be at most ${max}`);
  return limit;
}

/** Analytics over stored records: GET /v1/records and GET /v1/insights/treatments. */
export function recordRoutes(app: FastifyInstance, { store, databaseUrl }: { store: () => RecordStore; databaseUrl: string }): void {
  const fromStore = <T>(promise: Promise<T>): Promise<T> => withStoreErrors(promise, databaseUrl);

  app.get<{ Querystring: { disease?: string; treatment?: string; since?: string; limit?: string } }>(
    '/records',
    {
      schema: {
        summary: 'Stored records, newest first, filtered by a disease or treatment named in them (case-insensitive) and a time',
        tags: ['records'],
        querystring: Type.Object(
          {
            disease: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            treatment: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601: records processed at or after' })),
            limit: Type.Optional(limitParameter(1_000, 100)),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ records: Type.Array(StoredRecordSchema) }), ...V1_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { disease, treatment, since, limit } = request.query;
      const records = await fromStore(
        store().findRecords({ ...(disease ? { disease } : {}), ...(treatment ? { treatment } : {}), ...(since ? { since: new Date(since) } : {}), limit: parseLimit(limit, 1_000, 100) }),
      );
      return { records: records.map((r) => ({ record: r.record, jobId: r.jobId, processedAt: r.processedAt.toISOString() })) };
    },
  );

  app.get<{ Querystring: { disease: string; limit?: string } }>(
    '/insights/treatments',
    {
      schema: {
        summary: 'The treatments most often paired with a disease in stored records, with counts',
        tags: ['records'],
        querystring: Type.Object(
          { disease: Type.String({ minLength: 1, maxLength: 200 }), limit: Type.Optional(limitParameter(200, 20)) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            disease: Type.String(),
            treatments: Type.Array(Type.Object({ treatment: Type.String(), notes: Type.Integer(), pairs: Type.Integer() })),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => ({
      disease: request.query.disease,
      treatments: await fromStore(store().treatmentsForDisease(request.query.disease, parseLimit(request.query.limit, 200, 20))),
    }),
  );
}
