/**
 * The one catalogue of errors. Every code is stable (clients and tests match on it), documented in
 * docs/errors.md (a test checks), and carries the HTTP status the API answers with.
 */
export const ERROR_CATALOGUE = {
  NER_ERR_CORPUS_FILE_MISSING: { statusCode: 500, summary: 'A corpus file does not exist or cannot be read.' },
  NER_ERR_CORPUS_LENGTH_MISMATCH: { statusCode: 400, summary: 'A sentence file and its label file have different numbers of lines.' },
  NER_ERR_CORPUS_UNKNOWN_LABEL: { statusCode: 400, summary: 'A label is not one the format allows (D/T/O, or B-/I-/O tags).' },
  NER_ERR_CORPUS_BAD_TOKEN: { statusCode: 400, summary: 'A token is empty or contains whitespace.' },
  NER_ERR_CORPUS_BAD_LINE: { statusCode: 400, summary: 'A line does not have the shape its format requires.' },
  NER_ERR_CORPUS_EMPTY: { statusCode: 400, summary: 'A corpus holds no sentence.' },
  NER_ERR_CORPUS_UNMAPPED_TYPE: { statusCode: 400, summary: 'An annotated corpus uses an entity type its mapping neither maps nor ignores.' },
  NER_ERR_CORPUS_MAPPING_INVALID: { statusCode: 500, summary: 'A corpus mapping (corpus/mappings/*.json) is not valid JSON or lacks a required field.' },
  NER_ERR_CORPUS_UNKNOWN: { statusCode: 400, summary: 'A corpus was named that has no mapping.' },
  NER_ERR_MODEL_NOT_FOUND: { statusCode: 500, summary: 'The model directory, card or model file does not exist.' },
  NER_ERR_MODEL_CARD_INVALID: { statusCode: 500, summary: 'The model card is not valid JSON or lacks a required field.' },
  NER_ERR_MODEL_CHECKSUM: { statusCode: 500, summary: 'The model file does not match the sha256 in its model card (truncated or tampered).' },
  NER_ERR_MODEL_FORMAT: { statusCode: 500, summary: 'The model file is not a CRFsuite model this code can read.' },
  NER_ERR_MODEL_TEMPLATES: { statusCode: 500, summary: 'The model was trained with feature templates this code does not have.' },
  NER_ERR_MODEL_PRODUCTION_POINTER: { statusCode: 500, summary: 'The production pointer names no model version that exists.' },
  NER_ERR_MODEL_NO_ROLLBACK: { statusCode: 409, summary: 'A rollback was asked for and the promotion history holds no earlier production version.' },
  NER_ERR_MODEL_REGISTRY_BUSY: { statusCode: 409, summary: 'Another promote or rollback holds the registry lock of the models directory.' },
  NER_ERR_TRAINING_FAILED: { statusCode: 500, summary: 'CRFsuite training failed or produced no model.' },
  NER_ERR_LEXICON_INVALID: { statusCode: 500, summary: 'A lexicon file is missing or malformed.' },
  NER_ERR_BRANDS_INVALID: { statusCode: 500, summary: 'A brands file (data/brands.tsv or BRANDS_FILE) is missing or has a malformed line; the message names the file and line.' },
  NER_ERR_INDICATIONS_INVALID: { statusCode: 500, summary: 'The indication list (data/indications.tsv) is missing or has a malformed line; the message names the file and line.' },
  NER_ERR_INPUT_INVALID: { statusCode: 400, summary: 'An input line or argument is not valid (e.g. a JSONL line without text).' },
  NER_ERR_CLI_USAGE: { statusCode: 400, summary: 'A command-line call has unknown or missing arguments.' },
  NER_ERR_CONFIG_INVALID: { statusCode: 500, summary: 'One or more environment variables are invalid.' },
  NER_ERR_HTTP_MALFORMED_JSON: { statusCode: 400, summary: 'The request body is not valid JSON (or is empty where JSON is required).' },
  NER_ERR_HTTP_VALIDATION: { statusCode: 400, summary: 'The request does not match its schema: a missing field, a wrong type, an empty notes array.' },
  NER_ERR_HTTP_NOTE_TOO_LONG: { statusCode: 413, summary: 'A note is longer than MAX_NOTE_CHARS; the message gives the limit.' },
  NER_ERR_HTTP_TOO_MANY_NOTES: { statusCode: 413, summary: 'A batch holds more notes than MAX_BATCH_NOTES; the message gives the limit.' },
  NER_ERR_HTTP_BODY_TOO_LARGE: { statusCode: 413, summary: 'The request body is larger than the route\'s limit (BODY_LIMIT_BYTES, or JOB_BODY_LIMIT_BYTES for POST /v1/jobs); the message names it.' },
  NER_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, summary: 'The Content-Type is not one the route accepts (application/json).' },
  NER_ERR_HTTP_NOT_FOUND: { statusCode: 404, summary: 'No route matches the method and path.' },
  NER_ERR_HTTP_UNAUTHORIZED: { statusCode: 401, summary: 'API keys are configured and the request has no valid key (Authorization: Bearer or x-api-key).' },
  NER_ERR_HTTP_RATE_LIMITED: { statusCode: 429, summary: 'The API key (or client address) sent more requests per minute than RATE_LIMIT_PER_MINUTE.' },
  NER_ERR_HTTP_SHUTTING_DOWN: { statusCode: 503, summary: 'The server is shutting down and takes no new requests; retry on another instance.' },
  NER_ERR_HTTP_UNSTORABLE_TEXT: { statusCode: 400, summary: 'A field to be stored holds a NUL character or an unpaired UTF-16 surrogate, which PostgreSQL cannot store.' },
  NER_ERR_HTTP_BAD_REQUEST: { statusCode: 400, summary: 'The request is malformed in a way no more specific code covers (e.g. a bad header).' },
  NER_ERR_JOB_DUPLICATE_NOTE_ID: { statusCode: 400, summary: 'A bulk submission names the same note id twice (1 and "1" are one id).' },
  NER_ERR_JOB_NOT_FOUND: { statusCode: 404, summary: 'No bulk job has this id.' },
  NER_ERR_QUEUE_ACTION_REFUSED: { statusCode: 409, summary: 'The queue dashboard (/admin/queues) refused an action the queue or job does not allow in its state.' },
  NER_ERR_QUEUE_UNAVAILABLE: { statusCode: 503, summary: 'The route needs the job queue and Redis is not reachable at REDIS_URL.' },
  NER_ERR_DATABASE_SCHEMA: { statusCode: 500, summary: "The connection's search_path does not put tables in DATABASE_SCHEMA (through PgBouncer the server must set it)." },
  NER_ERR_STORE_UNAVAILABLE: { statusCode: 503, summary: 'The route needs the record store and PostgreSQL is not reachable at DATABASE_URL.' },
  NER_ERR_INBOX_DAY_MISSING: { statusCode: 404, summary: 'A nightly run was asked for a day that has no folder in INBOX_DIR.' },
  NER_ERR_DRIFT_NO_PROFILE: { statusCode: 500, summary: 'The model card has no training profile this code can compare with (none, or written with other bins): no drift check.' },
  NER_ERR_NIGHTLY_RUN_NOT_FOUND: { statusCode: 404, summary: 'No nightly run has processed this day.' },
  NER_ERR_DRIFT_NOT_MEASURED: { statusCode: 404, summary: 'No finished nightly run has measured drift yet.' },
  NER_ERR_RUN_NOT_FOUND: { statusCode: 404, summary: 'No recorded run has this id (or the id prefix matches several runs).' },
  NER_ERR_RUN_INVALID: { statusCode: 500, summary: 'A run file in the runs folder is not valid JSON or lacks a required field.' },
  NER_ERR_INGEST_MALFORMED_JSON: { statusCode: 400, summary: 'A broker message is not a JSON object (not UTF-8, not JSON, or JSON of another shape); it goes to the dead-letter queue.' },
  NER_ERR_INGEST_BAD_ID: { statusCode: 400, summary: 'A broker message has no id, or one that is not a non-empty string or a number; it goes to the dead-letter queue.' },
  NER_ERR_INGEST_BAD_TEXT: { statusCode: 400, summary: 'A broker message has no text, or text that is not a string; it goes to the dead-letter queue.' },
  NER_ERR_INGEST_NOTE_TOO_LONG: { statusCode: 413, summary: 'A broker message\'s text is longer than MAX_NOTE_CHARS; it goes to the dead-letter queue.' },
  NER_ERR_INGEST_UNSTORABLE_TEXT: { statusCode: 400, summary: 'A broker message\'s id or text holds a NUL character or an unpaired UTF-16 surrogate, which PostgreSQL cannot store; it goes to the dead-letter queue.' },
  NER_ERR_INGEST_EXTRACTION_FAILED: { statusCode: 500, summary: 'Extracting a broker message\'s note failed unexpectedly; it goes to the dead-letter queue rather than being redelivered forever.' },
  NER_ERR_INTERNAL: { statusCode: 500, summary: 'An unexpected server error; the server log has the details under the request id.' },
} as const satisfies Record<string, { statusCode: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface ErrorLocation {
  file?: string;
  line?: number;
}

export class NerError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorLocation & { cause?: unknown } = {}) {
    const where = options.file ? `${options.file}${options.line ? `:${options.line}` : ''}: ` : '';
    super(`${where}${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NerError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].statusCode;
    this.file = options.file;
    this.line = options.line;
  }
}

export function isNerError(value: unknown, code?: ErrorCode): value is NerError {
  return value instanceof NerError && (code === undefined || value.code === code);
}
