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
import { Type } from 'typebox';

/** POST /v1/extract (one note) and POST /v1/extract/batch (records in input order). */
export function extractRoutes(app: FastifyInstance, { extractor, limits }: { extractor: Extractor; limits: SchemaLimits }): void {
  app.post<{ Body: ExtractRequest }>(
    '/extract',
    {
      schema: {
        summary: 'Extract diseases, treatments and their pairs from one clinical note',
        tags: ['extraction'],
        body: extractRequestSchema(limits),
        response: { 200: Type.Ref('Record'), ...V1_ERROR_RESPONSES },
      },
    },
    async (request) => {
      request.noteStats = { notes: 1, chars: request.body.text.length };
      return extractor.extract(request.body.text, request.body.noteId);
    },
  );

  app.post<{ Body: BatchRequest }>(
    '/extract/batch',
    {
      schema: {
        summary: 'Extract from up to MAX_BATCH_NOTES notes; records come back in input order',
        tags: ['extraction'],
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
      for (const note of notes) records.push(await pinned.extract(note.text, note.id));
      return { records };
    },
  );
}
