import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { NerError } from '../errors.js';
import type { Extractor } from '../extractor.js';
import type { ServiceMetrics } from '../monitoring/metrics.js';
import { createApiKeyCheck, presentedKey } from './api-keys.js';
import { serializeErrorSafely } from '../error-description.js';
import { toApiError, type BodyLimit } from './error-reply.js';
import { addSecurityHeaders } from './security-headers.js';
import { extractRoutes } from './routes/extract-routes.js';
import { jobRoutes } from './routes/job-routes.js';
import { recordRoutes } from './routes/record-routes.js';
import { nightlyRoutes } from './routes/nightly-routes.js';
import { modelRoutes, type ModelRouteDeps } from './routes/model-routes.js';
import type { NightlyRunStore } from '../store/nightly-run-store.js';
import { queueUnavailable, storeUnavailable, type JobService } from '../queue/job-service.js';
import type { RecordStore } from '../store/record-store.js';
import type { ReviewStore } from '../store/review-store.js';
import { reviewRoutes, type ReviewRouteDeps } from './routes/review-routes.js';
import { reviewPage } from './routes/review-page.js';
import type { Queue } from 'bullmq';
import { registerQueueDashboard } from './queue-dashboard.js';
import { healthRoutes } from './routes/health-routes.js';
import type { DependencyCheck } from '../dependency-check.js';
import { EntitySchema, ErrorSchema, RecordSchema } from './schemas.js';

export type AppConfig = Pick<
  Config,
  'logLevel' | 'apiKeys' | 'rateLimitPerMinute' | 'maxNoteChars' | 'maxBatchNotes' | 'bodyLimitBytes' | 'maxJobNotes' | 'jobBodyLimitBytes' | 'redisUrl' | 'databaseUrl'
>;

export interface AppDeps {
  config: AppConfig;
  extractor: Extractor;
  metrics: ServiceMetrics;
  /** Bulk jobs (Redis + PostgreSQL); without it the /v1/jobs routes answer 503. */
  jobs?: JobService;
  /** Stored records (PostgreSQL); without it the /v1/records and insights routes answer 503. */
  store?: RecordStore;
  /** Reviews and corrections (PostgreSQL); without it POST /v1/reviews and GET /v1/kpis answer 503. */
  reviews?: ReviewStore;
  /** The retraining trigger, called best effort after a review is stored. */
  onCorrections?: ReviewRouteDeps['onCorrections'];
  /** Nightly runs (PostgreSQL); without it /v1/drift and /v1/nightly answer 503. */
  nightlyRuns?: NightlyRunStore;
  /** The model registry (GET /v1/models); without it the route is not served. */
  models?: ModelRouteDeps;
  /** Queues shown by the dashboard at /admin/queues. */
  queues?: readonly Queue[];
  /** Optional services reported by /ready (Redis, PostgreSQL). */
  dependencies?: readonly DependencyCheck[];
  /** What GET /metrics answers (default: metrics.registry); a cluster worker answers for every worker. */
  exposition?: () => Promise<string>;
  /** Where logs go (default stdout); tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
}

/**
 * The HTTP API as a Fastify instance, not listening: main-api.ts listens, tests call app.inject().
 * Logs carry ids, sizes and timings, never a note: bodies are not logged, and error messages that
 * could quote a body are replaced (see error-reply.ts).
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, extractor, metrics } = deps;
  const limits = { maxNoteChars: config.maxNoteChars, maxBatchNotes: config.maxBatchNotes, bodyLimitBytes: config.bodyLimitBytes };
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(deps.logStream ? { stream: deps.logStream } : {}),
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.body', 'body'], censor: '[redacted]' },
      // An error's message and fields may quote the data that caused it (PostgreSQL's detail and where).
      serializers: { err: serializeErrorSafely },
    },
    // One line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Only JSON: a text/plain body is refused with 415 instead of failing schema validation.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Requests that arrive while the server closes get the catalogue's 503 from the hook below, not Fastify's own body.
    return503OnClosing: false,
    // A URL Fastify cannot route (bad percent-encoding, an over-long parameter) would get Fastify's own body.
    frameworkErrors: (error, request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : 500;
      const message =
        status === 414 ? 'a path parameter is longer than the server accepts' : status === 400 ? 'the URL is not valid (malformed percent-encoding)' : "internal error; the server log has the details under this request's x-request-id";
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return (reply as FastifyReply).code(status).send({ error: { code: status >= 500 ? 'NER_ERR_INTERNAL' : 'NER_ERR_HTTP_BAD_REQUEST', message } });
    },
    // Requests Node's HTTP parser refuses (malformed, headers too large, too slow) never reach a route.
    clientErrorHandler: answerClientError,
  });
  app.removeContentTypeParser(['text/plain']);
  app.decorateRequest('rateLimitBucket', undefined);
  app.decorateRequest('noteStats', undefined);
  for (const schema of [EntitySchema, RecordSchema, ErrorSchema]) app.addSchema(schema);

  // The body limit of a route that sets its own (POST /v1/jobs) is JOB_BODY_LIMIT_BYTES: its 413 says so.
  app.addHook('onRoute', (route) => {
    if (route.bodyLimit !== undefined && route.bodyLimit === config.jobBodyLimitBytes) route.config = { ...route.config, bodyLimitVariable: 'JOB_BODY_LIMIT_BYTES' };
  });
  const limitsOf = (request: FastifyRequest): typeof limits & BodyLimit => {
    return { ...limits, bodyLimitBytes: request.routeOptions.bodyLimit ?? config.bodyLimitBytes, bodyLimitVariable: request.routeOptions.config.bodyLimitVariable ?? 'BODY_LIMIT_BYTES' };
  };
  app.setErrorHandler((error, request, reply) => {
    const { statusCode, code, message } = toApiError(error as Error, limitsOf(request));
    if (statusCode >= 500) request.log.error({ err: error, code }, 'request failed');
    else request.log.info({ code, statusCode }, 'request rejected');
    if (code === 'NER_ERR_HTTP_NOTE_TOO_LONG' || code === 'NER_ERR_HTTP_TOO_MANY_NOTES') metrics.notes.inc({ outcome: 'rejected' });
    return reply.code(statusCode).send({ error: { code, message } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NER_ERR_HTTP_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /docs` } }),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // From close() on, a request that still arrives (on a kept-alive connection) is refused; those in flight finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Responses finished after close() began tell the client to drop the connection; otherwise a kept-alive
  // connection that goes idle after close() would hold the server open until it times out.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new NerError('NER_ERR_HTTP_SHUTTING_DOWN', 'the server is shutting down and takes no new requests; retry (another instance will answer)');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, route, statusCode: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(2)), bytesIn: request.headers['content-length'], ...request.noteStats },
      'request completed',
    );
  });

  addSecurityHeaders(app);
  await app.register(swagger, {
    // Components keep their $id names (Record, Entity, Error) instead of def-0, def-1…
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      info: { title: 'BeHealthy clinical NER', version: extractor.modelVersion, description: 'Disease and treatment extraction from clinical notes. Errors are { error: { code, message } } (docs/errors.md).' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  healthRoutes(app, { extractor, metrics, dependencies: deps.dependencies ?? [], exposition: deps.exposition ?? (() => metrics.registry.metrics()) });

  reviewPage(app);

  const apiKeys = createApiKeyCheck(config.apiKeys);
  /** Every /v1 route and the queue dashboard: an API key when keys are configured, then a rate limit per key. */
  const guarded = async (scope: FastifyInstance): Promise<void> => {
    if (apiKeys.enabled) {
      scope.addHook('onRequest', async (request) => {
        const bucket = apiKeys.authenticate(request.headers);
        if (bucket === undefined) {
          const problem = presentedKey(request.headers) === undefined ? 'an API key is required' : 'the API key is not valid';
          throw new NerError('NER_ERR_HTTP_UNAUTHORIZED', `${problem}: send Authorization: Bearer <key> or x-api-key: <key>`);
        }
        request.rateLimitBucket = bucket;
      });
    }
    if (config.rateLimitPerMinute > 0) {
      await scope.register(rateLimit, {
        max: config.rateLimitPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) => request.rateLimitBucket ?? request.ip,
        errorResponseBuilder: (_request, context) =>
          new NerError('NER_ERR_HTTP_RATE_LIMITED', `more than ${context.max} requests per minute; retry in ${Math.ceil(context.ttl / 1000)} s`),
      });
    }
  };
  if (deps.queues && deps.queues.length > 0) {
    const queues = deps.queues;
    await app.register(async (admin) => {
      await guarded(admin);
      await registerQueueDashboard(admin, queues, (error) => toApiError(error, { ...limits, bodyLimitBytes: config.bodyLimitBytes }));
    });
  }
  await app.register(
    async (v1) => {
      await guarded(v1);
      extractRoutes(v1, { extractor, limits });
      const jobs = (): JobService => deps.jobs ?? unconfigured(queueUnavailable(config.redisUrl));
      const store = (): RecordStore => deps.store ?? unconfigured(storeUnavailable(config.databaseUrl));
      jobRoutes(v1, { jobs, limits: { maxJobNotes: config.maxJobNotes, jobBodyLimitBytes: config.jobBodyLimitBytes } });
      recordRoutes(v1, { store, databaseUrl: config.databaseUrl });
      const runs = (): NightlyRunStore => deps.nightlyRuns ?? unconfigured(storeUnavailable(config.databaseUrl));
      nightlyRoutes(v1, { runs, databaseUrl: config.databaseUrl });
      const reviews = (): ReviewStore => deps.reviews ?? unconfigured(storeUnavailable(config.databaseUrl));
      reviewRoutes(v1, { reviews, databaseUrl: config.databaseUrl, maxNoteChars: config.maxNoteChars, ...(deps.onCorrections ? { onCorrections: deps.onCorrections } : {}) });
      if (deps.models) modelRoutes(v1, deps.models);
    },
    { prefix: '/v1' },
  );
  return app;
}

/** Node's `clientError`: the catalogue's body on the raw socket (Fastify's default writes its own shape). */
function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request was not received in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are larger than the server accepts']
        : [400, 'Bad Request', 'the request is not valid HTTP'];
  this.log.debug({ code: error.code, status }, 'client error');
  const body = JSON.stringify({ error: { code: 'NER_ERR_HTTP_BAD_REQUEST', message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

function unconfigured(error: Error): never {
  throw error;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The variable that sets the route's body limit, named in its 413. */
    bodyLimitVariable?: BodyLimit['bodyLimitVariable'];
  }
  interface FastifyRequest {
    /** Which rate-limit bucket the request counts against: its API key's digest prefix. */
    rateLimitBucket?: string;
    /** How many notes and characters the request carried, for its log line (never the text). */
    noteStats?: { notes: number; chars: number };
  }
}
