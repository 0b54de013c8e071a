import type { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods, type InjectOptions } from 'fastify';
import { ERROR_CATALOGUE, isNerError, type ErrorCode } from '../errors.js';
import type { ApiError } from './error-reply.js';

export const DASHBOARD_PATH = '/admin/queues';

type ControllerResult = ReturnType<Parameters<FastifyAdapter['setErrorHandler']>[0]>;

/**
 * Bull Board at /admin/queues, registered inside the scope that checks API keys. Bull Board answers errors
 * its own way ({ "error": { "key" }, "message" }, from its own error handler and from its routes); here
 * every error body takes the catalogue's shape, keeping Bull Board's translation key and options inside
 * `error` so its page still shows its own wording.
 * Bull Board and its page's server-side modules (@bull-board/api, its Fastify adapter, @fastify/view, ejs) are
 * loaded on the first request to the dashboard, into a Fastify instance of their own that the dashboard's
 * routes here forward to: an API process nobody opens the dashboard in does without them (about 7 MB of RSS).
 */
export async function registerQueueDashboard(scope: FastifyInstance, queues: readonly Queue[], toApiError: (error: Error) => ApiError): Promise<void> {
  // What a dashboard call that failed on Redis answers while Redis is down (not a 500).
  const redisDown = (): boolean =>
    queues.some((queue) => {
      const status = (queue.opts.connection as { status?: unknown } | undefined)?.status;
      return typeof status === 'string' && status !== 'ready';
    });
  const describe = (error: Error): ApiError =>
    !isNerError(error) && redisDown()
      ? { statusCode: 503, code: 'NER_ERR_QUEUE_UNAVAILABLE', message: 'the job queue is unavailable: Redis is not reachable (GET /ready shows the state)' }
      : toApiError(error);
  const logError = (request: FastifyRequest, error: Error): void => {
    const { statusCode, code } = describe(error);
    if (statusCode >= 500) request.log.error({ err: error, code }, 'request failed');
    else request.log.info({ code, statusCode }, 'request rejected');
  };
  scope.addHook('onError', async (request, _reply, error) => logError(request, error));
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    const shaped = catalogueShaped(reply.statusCode, payload);
    if (shaped === undefined) return payload;
    reply.code(shaped.statusCode);
    return JSON.stringify(shaped.body);
  });
  // The requests being forwarded, by id: an error Bull Board throws is logged on the request that brought it.
  const forwarded = new Map<string, FastifyRequest>();
  let board: Promise<FastifyInstance> | undefined;
  const boardApp = (): Promise<FastifyInstance> =>
    (board ??= bullBoardApp(queues, describe, (id, error) => {
      const request = forwarded.get(id);
      if (request) logError(request, error);
    }).catch((error: unknown) => {
      board = undefined;
      throw error;
    }));
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const app = await boardApp();
    const { 'content-length': _length, 'transfer-encoding': _encoding, connection: _connection, ...headers } = request.headers;
    forwarded.set(request.id, request);
    try {
      const response = await app.inject({
        // A HEAD is asked as its GET: the body is what an error's status and shape are read from (Fastify sends none).
        method: (request.method === 'HEAD' ? 'GET' : request.method) as InjectOptions['method'],
        url: request.url,
        headers: { ...headers, [FORWARDED_ID]: request.id },
        ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
      });
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !HOP_HEADERS.has(name)) void reply.header(name, value);
      }
      // Text as text, so that the error bodies above are reshaped; files as their bytes.
      const text = /^(application\/json|text\/)/.test(String(response.headers['content-type'] ?? ''));
      return reply.code(response.statusCode).send(text ? response.payload : response.rawPayload);
    } finally {
      forwarded.delete(request.id);
    }
  };
  for (const url of [DASHBOARD_PATH, `${DASHBOARD_PATH}/*`]) scope.route({ method: FORWARDED_METHODS, url, schema: { hide: true }, handler: forward });
  scope.addHook('onClose', async () => {
    if (board) await (await board.catch(() => undefined))?.close();
  });
}

const FORWARDED_ID = 'x-dashboard-request';
// HEAD is Fastify's own for each GET route, as for the others.
const FORWARDED_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Headers of Bull Board's answer that belong to its own (injected) connection. */
const HOP_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** Bull Board in a Fastify instance of its own, at DASHBOARD_PATH; errors thrown in it are answered by `describe` and reported by request id. */
async function bullBoardApp(queues: readonly Queue[], describe: (error: Error) => ApiError, onError: (id: string, error: Error) => void): Promise<FastifyInstance> {
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const app = Fastify({ logger: false, logController: new LogController({ disableRequestLogging: true }), genReqId: (request) => String(request.headers[FORWARDED_ID]) });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  // Replaces the handler createBullBoard set: errors thrown in the dashboard (Redis down) get their catalogue code.
  serverAdapter.setErrorHandler((error): ControllerResult => {
    const { statusCode, code, message } = describe(error);
    return { status: statusCode as ControllerResult['status'], body: { error: { code, message } } as unknown as ControllerResult['body'] };
  });
  app.addHook('onError', async (request, _reply, error) => onError(request.id, error));
  await app.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  await app.ready();
  return app;
}

/** The code for a status Bull Board answered with itself (an unknown queue or job, an action refused). */
function codeOfStatus(statusCode: number): ErrorCode {
  if (statusCode === 404) return 'NER_ERR_HTTP_NOT_FOUND';
  if (statusCode >= 500) return 'NER_ERR_INTERNAL';
  if (statusCode === 400) return 'NER_ERR_HTTP_BAD_REQUEST';
  return 'NER_ERR_QUEUE_ACTION_REFUSED';
}

/** Bull Board's error body rebuilt in the catalogue's shape, with the code's status; undefined when it has that shape already. */
export function catalogueShaped(statusCode: number, payload: string): { statusCode: number; body: { error: { code: ErrorCode; message: string; key?: string; options?: unknown } } } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { message?: unknown }).message === 'string') {
    return undefined;
  }
  const { key, options } = (typeof error === 'object' && error !== null ? error : {}) as { key?: unknown; options?: unknown };
  const what = typeof key === 'string' ? key.replace(/^ERRORS\./, '').toLowerCase().replace(/_/g, ' ') : `status ${statusCode}`;
  const code = codeOfStatus(statusCode);
  const message =
    code === 'NER_ERR_INTERNAL' ? "internal error; the server log has the details under this request's x-request-id" : `the queue dashboard refused the request: ${what}`;
  return { statusCode: ERROR_CATALOGUE[code].statusCode, body: { error: { code, message, ...(typeof key === 'string' ? { key } : {}), ...(options !== undefined ? { options } : {}) } } };
}
