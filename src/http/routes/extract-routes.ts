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
import { FHIR_MEDIA_TYPE, recordToFhirBundle } from '../fhir-bundle.js';

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

const singleExtractQuerySchema = Type.Object(
  {
    ...extractQuerySchema.properties,
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('fhir')], {
        description: 'fhir: answer the record as a FHIR R4 Bundle (application/fhir+json), as `Accept: application/fhir+json` does',
      }),
    ),
  },
  { additionalProperties: false },
);
type SingleExtractQuery = Static<typeof singleExtractQuerySchema>;

/** A FHIR Bundle when the query asks for it or the Accept header prefers application/fhir+json to JSON. */
function wantsFhir(query: SingleExtractQuery | undefined, accept: string | undefined): boolean {
  if (query?.format !== undefined) return query.format === 'fhir';
  return accept !== undefined && /(^|,)\s*application\/fhir\+json\s*(;|,|$)/i.test(accept);
}

const extractOptions = (query: ExtractQuery | undefined) => (query?.minConfidence === undefined ? {} : { minConfidence: Number(query.minConfidence) });

/** POST /v1/extract (one note) and POST /v1/extract/batch (records in input order). */
export function extractRoutes(app: FastifyInstance, { extractor, limits }: { extractor: Extractor; limits: SchemaLimits }): void {
  app.post<{ Body: ExtractRequest; Querystring: SingleExtractQuery }>(
    '/extract',
    {
      schema: {
        summary: 'Extract diseases, treatments and their pairs from one clinical note (as a FHIR R4 Bundle with Accept: application/fhir+json or ?format=fhir)',
        tags: ['extraction'],
        querystring: singleExtractQuerySchema,
        body: extractRequestSchema(limits),
        response: {
          200: {
            description: 'The record; or, asked for FHIR, a FHIR R4 Bundle of type collection: Patient, Condition (verificationStatus from the assertion), FamilyMemberHistory, MedicationStatement (with Dosage), Procedure',
            content: {
              'application/json': { schema: Type.Ref('Record') },
              [FHIR_MEDIA_TYPE]: { schema: Type.Object({ resourceType: Type.Literal('Bundle'), type: Type.Literal('collection'), entry: Type.Array(Type.Object({ fullUrl: Type.String(), resource: Type.Object({ resourceType: Type.String() }, { additionalProperties: true }) })) }, { additionalProperties: true }) },
            },
          },
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      request.noteStats = { notes: 1, chars: request.body.text.length };
      const record = await extractor.extract(request.body.text, request.body.noteId, extractOptions(request.query));
      if (!wantsFhir(request.query, request.headers.accept)) return reply.type('application/json').send(record);
      // A string is sent as it is: the Bundle is not cut to the schema's few properties.
      return reply.type(FHIR_MEDIA_TYPE).send(JSON.stringify(recordToFhirBundle(record)));
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
