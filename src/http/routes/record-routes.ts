import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NerError } from '../../errors.js';
import { withStoreErrors } from '../../queue/job-service.js';
import type { RecordStore } from '../../store/record-store.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';
import { describeUnstorable, findUnstorable } from '../../core/text/storable-text.js';

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

/** A concept code in a query: ICD-10-CM ("I10", "E11.9", a category "E11"), DOID ("DOID:10763") or DrugBank ("DB00316"). */
const CodeParameter = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.:]{1,19}$', description: 'a concept code: ICD-10-CM (a category such as E11 matches its codes), DOID or DrugBank' });

/** A name to search stored text for: PostgreSQL cannot compare text holding a NUL or a lone surrogate, so it is a 400. */
function searchableText<T extends string | undefined>(field: string, value: T): T {
  const found = value === undefined ? null : findUnstorable(value);
  if (found) throw new NerError('NER_ERR_HTTP_UNSTORABLE_TEXT', `querystring/${describeUnstorable(field, found)}`);
  return value;
}

/** Analytics over stored records: GET /v1/records, GET /v1/insights/treatments and GET /v1/insights/diseases. */
export function recordRoutes(app: FastifyInstance, { store, databaseUrl }: { store: () => RecordStore; databaseUrl: string }): void {
  const fromStore = <T>(promise: Promise<T>): Promise<T> => withStoreErrors(promise, databaseUrl);

  app.get<{ Querystring: { disease?: string; treatment?: string; code?: string; since?: string; limit?: string } }>(
    '/records',
    {
      schema: {
        summary: 'Stored records, newest first, filtered by a disease or treatment named in them (case-insensitive), a concept code of one of their entities, and a time',
        tags: ['records'],
        querystring: Type.Object(
          {
            disease: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            treatment: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            code: Type.Optional(CodeParameter),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601: records processed at or after' })),
            limit: Type.Optional(limitParameter(1_000, 100)),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ records: Type.Array(StoredRecordSchema) }), ...V1_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { code, since, limit } = request.query;
      const disease = searchableText('disease', request.query.disease);
      const treatment = searchableText('treatment', request.query.treatment);
      const records = await fromStore(
        store().findRecords({ ...(disease ? { disease } : {}), ...(treatment ? { treatment } : {}), ...(code ? { code: code.toUpperCase() } : {}), ...(since ? { since: new Date(since) } : {}), limit: parseLimit(limit, 1_000, 100) }),
      );
      return { records: records.map((r) => ({ record: r.record, jobId: r.jobId, processedAt: r.processedAt.toISOString() })) };
    },
  );

  app.get<{ Querystring: { disease?: string; code?: string; limit?: string } }>(
    '/insights/treatments',
    {
      schema: {
        summary: 'The treatments most often paired with a disease in stored records, given by name or by ICD-10-CM code (a category matches its codes), one row per ingredient set, with counts',
        tags: ['records'],
        querystring: Type.Object(
          { disease: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), code: Type.Optional(CodeParameter), limit: Type.Optional(limitParameter(200, 20)) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            disease: Type.Optional(Type.String()),
            code: Type.Optional(Type.String()),
            treatments: Type.Array(Type.Object({ treatment: Type.String(), generic: Type.Optional(Type.String()), notes: Type.Integer(), pairs: Type.Integer() })),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { code, limit } = request.query;
      const disease = searchableText('disease', request.query.disease);
      if ((disease === undefined) === (code === undefined)) throw new NerError('NER_ERR_HTTP_VALIDATION', 'querystring must have either disease or code');
      const limitValue = parseLimit(limit, 200, 20);
      if (code !== undefined) return { code: code.toUpperCase(), treatments: await fromStore(store().treatmentsForDisease({ code: code.toUpperCase() }, limitValue)) };
      return { disease, treatments: await fromStore(store().treatmentsForDisease(disease as string, limitValue)) };
    },
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/insights/diseases',
    {
      schema: {
        summary: 'The diseases patients have in stored records (present, not a relative\'s), by ICD-10-CM code with its name and the names written for it ("HTN", "hypertension")',
        tags: ['records'],
        querystring: Type.Object({ limit: Type.Optional(limitParameter(200, 20)) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            diseases: Type.Array(Type.Object({ code: Type.String(), display: Type.String(), notes: Type.Integer(), mentions: Type.Integer(), names: Type.Array(Type.String()) })),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => ({ diseases: await fromStore(store().diseasesByCode(parseLimit(request.query.limit, 200, 20))) }),
  );
}
