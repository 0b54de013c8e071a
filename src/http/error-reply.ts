import type { FastifyError } from 'fastify';
import { describeError } from '../error-description.js';
import { ERROR_CATALOGUE, isNerError, type ErrorCode } from '../errors.js';
import type { SchemaLimits } from './schemas.js';

export interface ApiError {
  statusCode: number;
  code: ErrorCode;
  message: string;
}

const apiError = (code: ErrorCode, message: string): ApiError => ({ statusCode: ERROR_CATALOGUE[code].statusCode, code, message });

/** The body limit that applied to a request: its bytes and the variable that sets it. */
export interface BodyLimit {
  bodyLimitBytes: number;
  bodyLimitVariable?: 'BODY_LIMIT_BYTES' | 'JOB_BODY_LIMIT_BYTES';
}

/** Fastify's own error codes, translated into the catalogue. */
const FASTIFY_CODES: Partial<Record<string, (limits: SchemaLimits & BodyLimit) => ApiError>> = {
  // The parser's message quotes the body (a note), so it is never passed on.
  FST_ERR_CTP_INVALID_JSON_BODY: () => apiError('NER_ERR_HTTP_MALFORMED_JSON', 'the request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => apiError('NER_ERR_HTTP_MALFORMED_JSON', 'the request body is empty; send a JSON object'),
  FST_ERR_CTP_BODY_TOO_LARGE: ({ bodyLimitBytes, bodyLimitVariable = 'BODY_LIMIT_BYTES' }) =>
    apiError('NER_ERR_HTTP_BODY_TOO_LARGE', `the request body is larger than the limit of ${bodyLimitBytes} bytes (${bodyLimitVariable})`),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => apiError('NER_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', 'unsupported Content-Type; send application/json'),
};

/**
 * Any error a request raised, as the catalogue's { statusCode, code, message }. Validation failures of a
 * note's length or a batch's size get codes of their own with the limit in the message; other schema
 * failures name the field (Ajv messages never quote the value).
 */
export function toApiError(error: FastifyError | Error, limits: SchemaLimits & BodyLimit): ApiError {
  if (isNerError(error)) return { statusCode: error.statusCode, code: error.code, message: error.message };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const tooLong = fastifyError.validation.find((v) => v.keyword === 'maxLength' && /\/text$/.test(v.instancePath));
    if (tooLong) {
      return apiError('NER_ERR_HTTP_NOTE_TOO_LONG', `${tooLong.instancePath.slice(1)} is longer than the limit of ${limits.maxNoteChars} characters (MAX_NOTE_CHARS)`);
    }
    const tooMany = fastifyError.validation.find((v) => v.keyword === 'maxItems' && v.instancePath === '/notes');
    if (tooMany) {
      const limit = Number((tooMany.params as { limit?: unknown }).limit);
      const advice = limit === limits.maxBatchNotes ? 'MAX_BATCH_NOTES; send several batches or use POST /v1/jobs' : 'MAX_JOB_NOTES; split the submission';
      return apiError('NER_ERR_HTTP_TOO_MANY_NOTES', `a request holds at most ${limit} notes (${advice})`);
    }
    return apiError('NER_ERR_HTTP_VALIDATION', fastifyError.message);
  }
  const translate = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (translate) return translate(limits);
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return { ...apiError('NER_ERR_HTTP_BAD_REQUEST', describeError(error)), statusCode: status };
  return apiError('NER_ERR_INTERNAL', 'internal error; the server log has the details under this request\'s x-request-id');
}
