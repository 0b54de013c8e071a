import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import { Type, type Static } from 'typebox';
import type { OffsetEntity } from '../../core/text/annotated-sentences.js';
import { entitiesDiffer, reviewKpis } from '../../core/evaluation/review-kpis.js';
import { describeUnstorable, findUnstorable } from '../../core/text/storable-text.js';
import { NerError } from '../../errors.js';
import { withStoreErrors } from '../../queue/job-service.js';
import type { ReviewStore } from '../../store/review-store.js';
import { V1_ERROR_RESPONSES } from '../schemas.js';

const ReviewEntity = Type.Object(
  {
    type: Type.Union([Type.Literal('disease'), Type.Literal('treatment')]),
    start: Type.Integer({ minimum: 0 }),
    end: Type.Integer({ minimum: 1 }),
    text: Type.Optional(Type.String({ description: 'Ignored (offsets rule); when given, must be text.slice(start, end)' })),
  },
  { additionalProperties: false },
);

function reviewRequestSchema(maxNoteChars: number) {
  return Type.Object(
    {
      noteId: Type.String({ minLength: 1, maxLength: 256 }),
      text: Type.String({ minLength: 1, maxLength: maxNoteChars }),
      entities: Type.Array(ReviewEntity, { maxItems: 5_000, description: "The reviewer's entities (after)" }),
      before: Type.Array(ReviewEntity, { maxItems: 5_000, description: "The model's entities as shown to the reviewer" }),
      reviewer: Type.String({ minLength: 1, maxLength: 200 }),
      seconds: Type.Number({ minimum: 0, maximum: 86_400, description: 'Time spent on the note' }),
      acceptedWithoutChange: Type.Boolean({ description: 'True when the reviewer accepted the model\'s entities as they were' }),
    },
    { additionalProperties: false },
  );
}
type ReviewRequest = Static<ReturnType<typeof reviewRequestSchema>>;

const Score = Type.Object({
  precision: Type.Union([Type.Number(), Type.Null()]),
  recall: Type.Union([Type.Number(), Type.Null()]),
  f1: Type.Union([Type.Number(), Type.Null()]),
  truePositives: Type.Integer(),
  predicted: Type.Integer(),
  reviewed: Type.Integer(),
});

export interface ReviewRouteDeps {
  reviews: () => ReviewStore;
  databaseUrl: string;
  maxNoteChars: number;
  /** Called (best effort, after the response is decided) when corrections were stored: the retraining trigger. */
  onCorrections?: (log: FastifyBaseLogger) => Promise<unknown>;
}

function checkedEntities(field: string, text: string, entities: ReviewRequest['entities']): OffsetEntity[] {
  return entities.map((e, i) => {
    if (e.end <= e.start || e.end > text.length) throw new NerError('NER_ERR_HTTP_VALIDATION', `body/${field}/${i} must have start < end <= the text's length (${text.length})`);
    if (e.text !== undefined && e.text !== text.slice(e.start, e.end)) throw new NerError('NER_ERR_HTTP_VALIDATION', `body/${field}/${i}/text must be text.slice(start, end)`);
    return { type: e.type, start: e.start, end: e.end };
  });
}

/** A 400 naming the first field PostgreSQL could not store as sent (never quoting it). */
function assertStorable(fields: Record<string, string>): void {
  for (const [field, value] of Object.entries(fields)) {
    const found = findUnstorable(value);
    if (found) throw new NerError('NER_ERR_HTTP_UNSTORABLE_TEXT', `body/${describeUnstorable(field, found)}`);
  }
}

/** The review page's API: POST /v1/reviews (a reviewed note → a correction) and GET /v1/kpis. */
export function reviewRoutes(app: FastifyInstance, deps: ReviewRouteDeps): void {
  const fromStore = <T>(promise: Promise<T>): Promise<T> => withStoreErrors(promise, deps.databaseUrl);

  app.post<{ Body: ReviewRequest }>(
    '/reviews',
    {
      schema: {
        summary: 'A reviewed note: stored as a correction (training data) and a review (who, when, time, changed or not)',
        tags: ['reviews'],
        body: reviewRequestSchema(deps.maxNoteChars),
        response: {
          201: Type.Object({
            reviewId: Type.Integer(),
            correctionId: Type.Integer(),
            noteId: Type.String(),
            changed: Type.Boolean(),
            recordStatus: Type.Union([Type.Literal('reviewed'), Type.Literal('not-stored')], { description: 'reviewed when the note id is a stored record' }),
            createdAt: Type.String(),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      assertStorable({ noteId: body.noteId, text: body.text, reviewer: body.reviewer });
      const after = checkedEntities('entities', body.text, body.entities);
      const before = checkedEntities('before', body.text, body.before);
      const changed = entitiesDiffer(before, after);
      if (body.acceptedWithoutChange && changed) {
        throw new NerError('NER_ERR_HTTP_VALIDATION', 'body/acceptedWithoutChange is true but entities differ from before');
      }
      request.noteStats = { notes: 1, chars: body.text.length };
      const stored = await fromStore(
        deps.reviews().add({ noteId: body.noteId, text: body.text, after, before, reviewer: body.reviewer, seconds: body.seconds, changed }),
      );
      if (deps.onCorrections) {
        await deps.onCorrections(request.log).catch((error: unknown) => request.log.warn({ error: (error as Error).message }, 'retraining trigger failed'));
      }
      return reply.code(201).send({
        reviewId: stored.reviewId,
        correctionId: stored.correctionId,
        noteId: body.noteId,
        changed,
        recordStatus: stored.recordReviewed ? 'reviewed' : 'not-stored',
        createdAt: stored.createdAt.toISOString(),
      });
    },
  );

  app.get<{ Querystring: { jobId?: string; since?: string; limit?: string } }>(
    '/reviews/queue',
    {
      schema: {
        summary: 'Stored records not yet reviewed, with their note text, oldest first: of one job, or processed since a time',
        tags: ['reviews'],
        querystring: Type.Object(
          {
            jobId: Type.Optional(Type.String({ format: 'uuid' })),
            since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601: records processed at or after' })),
            limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: '1 to 100 (default 20)' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            records: Type.Array(Type.Object({ noteId: Type.String(), jobId: Type.String(), processedAt: Type.String(), text: Type.String(), record: Type.Ref('Record') })),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { jobId, since, limit } = request.query;
      const queued = await fromStore(deps.reviews().queue({ ...(jobId ? { jobId } : {}), ...(since ? { since: new Date(since) } : {}), limit: limit ? Number(limit) : 20 }));
      return { records: queued.map((q) => ({ ...q, processedAt: q.processedAt.toISOString() })) };
    },
  );

  app.get(
    '/kpis',
    {
      schema: {
        summary: 'Review KPIs: precision and recall of the model against reviewers per type (exact span and type), share accepted without change, review time per note',
        tags: ['reviews'],
        response: {
          200: Type.Object({
            reviews: Type.Integer(),
            perType: Type.Object({ disease: Score, treatment: Score }),
            micro: Score,
            acceptedWithoutChange: Type.Union([Type.Number(), Type.Null()]),
            reviewSeconds: Type.Object({ mean: Type.Union([Type.Number(), Type.Null()]), median: Type.Union([Type.Number(), Type.Null()]) }),
          }),
          ...V1_ERROR_RESPONSES,
        },
      },
    },
    async () => reviewKpis(await fromStore(deps.reviews().samples())),
  );
}
