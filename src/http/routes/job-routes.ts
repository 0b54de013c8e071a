import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NerError } from '../../errors.js';
import type { JobService } from '../../queue/job-service.js';
import type { SubmittedNote } from '../../queue/queues.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';

export interface JobRouteLimits {
  maxJobNotes: number;
  jobBodyLimitBytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/** One `{ "id", "text" }` per line; a line that is not JSON is a 400 naming the line (never quoting it). */
export function parseNdjsonNotes(body: string): { notes: unknown[] } {
  const notes: unknown[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      notes.push(JSON.parse(line));
    } catch {
      throw new NerError('NER_ERR_HTTP_MALFORMED_JSON', `line ${i + 1} of the NDJSON body is not valid JSON`);
    }
  }
  return { notes };
}

const jobIdParams = Type.Object({ id: Type.String({ description: 'The jobId POST /v1/jobs answered' }) });

/**
 * Bulk submission: POST /v1/jobs (JSON or NDJSON) → 202 with a job id; GET /v1/jobs/:id → state and
 * progress; GET /v1/jobs/:id/records → the records as NDJSON, streamed a page at a time from PostgreSQL.
 */
export function jobRoutes(app: FastifyInstance, { jobs, limits }: { jobs: () => JobService; limits: JobRouteLimits }): void {
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string', bodyLimit: limits.jobBodyLimitBytes }, (_request, body, done) => {
    try {
      done(null, parseNdjsonNotes(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post<{ Body: { notes: SubmittedNote[] } }>(
    '/jobs',
    {
      bodyLimit: limits.jobBodyLimitBytes,
      schema: {
        summary: 'Submit notes for bulk extraction (JSON { notes } or NDJSON, one { id, text } per line)',
        description:
          'Notes are checked by the workers: a bad note (text not a string, too long, no id, a NUL or unpaired surrogate in its text or id) fails alone with its reason. Note ids must be unique within a job (1 and "1" are one id): a repeated id is a 400 NER_ERR_JOB_DUPLICATE_NOTE_ID.',
        tags: ['bulk'],
        body: Type.Object(
          { notes: Type.Array(Type.Unknown(), { minItems: 1, maxItems: limits.maxJobNotes, description: `1 to ${limits.maxJobNotes} notes { id, text }` }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ jobId: Type.String(), notes: Type.Integer(), batches: Type.Integer(), status: Type.String() }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const accepted = await jobs().submit(request.body.notes);
      // Notes are checked by the workers; the log line counts the characters of those whose text is a string.
      const chars = request.body.notes.reduce((sum, note) => {
        const text = (note as SubmittedNote | null)?.text;
        return sum + (typeof text === 'string' ? text.length : 0);
      }, 0);
      request.noteStats = { notes: accepted.notes, chars };
      return reply.code(202).send({ ...accepted, status: `/v1/jobs/${accepted.jobId}` });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      schema: {
        summary: 'State and progress of a bulk job, with its failed notes and reasons',
        tags: ['bulk'],
        params: jobIdParams,
        response: {
          200: Type.Object({
            jobId: Type.String(),
            state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
            source: Type.String(),
            progress: Type.Object({ total: Type.Integer(), done: Type.Integer(), failed: Type.Integer(), batches: Type.Integer() }),
            timings: Type.Object({
              createdAt: Type.String(),
              firstProcessedAt: Type.Union([Type.String(), Type.Null()]),
              lastProcessedAt: Type.Union([Type.String(), Type.Null()]),
              seconds: Type.Union([Type.Number(), Type.Null()]),
            }),
            failures: Type.Array(Type.Object({ noteId: Type.String(), reason: Type.String() })),
            failedBatches: Type.Array(Type.Object({ batch: Type.Integer(), reason: Type.String() })),
          }),
          404: Type.Ref('Error'),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const status = UUID.test(request.params.id) ? await jobs().status(request.params.id) : null;
      if (!status) throw new NerError('NER_ERR_JOB_NOT_FOUND', `no job ${request.params.id.slice(0, 64)}`);
      const last = status.lastProcessedAt;
      return {
        jobId: status.jobId,
        state: status.state,
        source: status.source,
        progress: { total: status.notes, done: status.done, failed: status.failed, batches: status.batches },
        timings: {
          createdAt: status.createdAt.toISOString(),
          firstProcessedAt: status.firstProcessedAt?.toISOString() ?? null,
          lastProcessedAt: last?.toISOString() ?? null,
          seconds: last ? (last.getTime() - status.createdAt.getTime()) / 1000 : null,
        },
        failures: status.failures,
        failedBatches: status.failedBatches,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/records',
    {
      schema: {
        summary: 'The records of a bulk job, one JSON record per line (NDJSON), in note-id order, streamed',
        tags: ['bulk'],
        params: jobIdParams,
        produces: ['application/x-ndjson'],
      },
    },
    async (request, reply) => {
      const service = jobs();
      const status = UUID.test(request.params.id) ? await service.status(request.params.id) : null;
      if (!status) throw new NerError('NER_ERR_JOB_NOT_FOUND', `no job ${request.params.id.slice(0, 64)}`);
      const lines = async function* () {
        for await (const stored of service.records(request.params.id)) yield `${JSON.stringify(stored.record)}\n`;
      };
      reply.type('application/x-ndjson');
      return reply.send(Readable.from(lines()));
    },
  );
}
