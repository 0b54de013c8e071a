import type { FastifyInstance } from 'fastify';
import type { Extractor } from '../../extractor.js';
import {
  batchRequestSchema,
  extractRequestSchema,
  V1_ERROR_RESPONSES,
  type BatchRequest,
  type ExtractRequest,
  type SchemaLimits,
} from '../schemas.js';
import { Type, type Static } from 'typebox';

// Query values are strings (validation does not coerce types), so the number is matched, then read.
const extractQuerySchema = Type.Object(
  {
    minConfidence: Type.Optional(
      Type.String({
        pattern: '^(0(\\.[0-9]+)?|1(\\.0+)?|\\.[0-9]+)$',
        description: 'A number from 0 to 1: leave out entities whose confidence is below it (and the pairs they would form)',
      }),
    ),
  },
  { additionalProperties: false },
);
type ExtractQuery = Static<typeof extractQuerySchema>;

const extractOptions = (query: ExtractQuery | undefined) => (query?.minConfidence === undefined ? {} : { minConfidence: Number(query.minConfidence) });

/** POST /v1/extract (one note) and POST /v1/extract/batch (records in input order). */
export function extractRoutes(app: FastifyInstance, { extractor, limits }: { extractor: Extractor; limits: SchemaLimits }): void {
  app.post<{ Body: ExtractRequest; Querystring: ExtractQuery }>(
    '/extract',
    {
      schema: {
        summary: 'Extract diseases, treatments and their pairs from one clinical note',
        tags: ['extraction'],
        querystring: extractQuerySchema,
        body: extractRequestSchema(limits),
        response: { 200: Type.Ref('Record'), ...V1_ERROR_RESPONSES },
      },
    },
    async (request) => {
      request.noteStats = { notes: 1, chars: request.body.text.length };
      return extractor.extract(request.body.text, request.body.noteId, extractOptions(request.query));
    },
  );

  app.post<{ Body: BatchRequest; Querystring: ExtractQuery }>(
    '/extract/batch',
    {
      schema: {
        summary: 'Extract from up to MAX_BATCH_NOTES notes; records come back in input order',
        tags: ['extraction'],
        querystring: extractQuerySchema,
        body: batchRequestSchema(limits),
        response: { 200: Type.Object({ records: Type.Array(Type.Ref('Record')) }), ...V1_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { notes } = request.body;
      request.noteStats = { notes: notes.length, chars: notes.reduce((sum, n) => sum + n.text.length, 0) };
      // One model version for the whole batch, even if a hot reload swaps the model meanwhile.
      const pinned = extractor.pinned();
      const records = [];
      const options = extractOptions(request.query);
      for (const note of notes) records.push(await pinned.extract(note.text, note.id, options));
      return { records };
    },
  );
}
