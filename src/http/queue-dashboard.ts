import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { ERROR_CATALOGUE, isNerError, type ErrorCode } from '../errors.js';
import type { ApiError } from './error-reply.js';

export const DASHBOARD_PATH = '/admin/queues';

type ControllerResult = ReturnType<Parameters<FastifyAdapter['setErrorHandler']>[0]>;

/**
 * Bull Board at /admin/queues, registered inside the scope that checks API keys. Bull Board answers errors
 * its own way ({ "error": { "key" }, "message" }, from its own error handler and from its routes); here
 * every error body takes the catalogue's shape, keeping Bull Board's translation key and options inside
 * `error` so its page still shows its own wording.
 */
export async function registerQueueDashboard(scope: FastifyInstance, queues: readonly Queue[], toApiError: (error: Error) => ApiError): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
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
  // Replaces the handler createBullBoard set: errors thrown in the dashboard's scope (an API key refused,
  // the rate limit, Redis down) get their catalogue code; the onError hook below logs the 5xx ones.
  serverAdapter.setErrorHandler((error): ControllerResult => {
    const { statusCode, code, message } = describe(error);
    return { status: statusCode as ControllerResult['status'], body: { error: { code, message } } as unknown as ControllerResult['body'] };
  });
  scope.addHook('onError', async (request, _reply, error) => {
    const { statusCode, code } = describe(error);
    if (statusCode >= 500) request.log.error({ err: error, code }, 'request failed');
    else request.log.info({ code, statusCode }, 'request rejected');
  });
  scope.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    const shaped = catalogueShaped(reply.statusCode, payload);
    if (shaped === undefined) return payload;
    reply.code(shaped.statusCode);
    return JSON.stringify(shaped.body);
  });
  await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
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
