import { isNerError } from './errors.js';
import { sqlStateOf } from './store/sql-state.js';

/**
 * An error as it may be written to a log, a report, a stored row, a queue's failed reason or an HTTP body:
 * what went wrong, never the data that caused it. Libraries quote their input: PostgreSQL's data exceptions
 * name the value (`invalid input syntax for type integer: "…"`) and put more of it in `detail` and `where`
 * (a rejected JSON document is quoted there), JSON.parse quotes the text it refused, csv-parse the field.
 * Any of these may be a clinical note.
 */
export function describeError(error: unknown): string {
  if (isNerError(error)) return error.message;
  if (!(error instanceof Error)) return typeof error === 'string' ? error : 'an unknown error';
  const sqlState = postgresCode(error);
  if (sqlState !== undefined) {
    // Class 22 (data exception) messages end with the refused value; the others name tables, columns and constraints.
    const message = sqlState.startsWith('22') ? error.message.split(/:?\s*"/)[0]?.trim() : error.message;
    return `PostgreSQL error ${sqlState}: ${message}`;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('CSV_') || code === 'INVALID_OPENING_QUOTE')) {
    const line = (error as { lines?: unknown }).lines;
    return `not a readable CSV file (${code}${typeof line === 'number' ? ` at line ${line}` : ''})`;
  }
  if (error instanceof SyntaxError && /JSON/.test(error.message)) {
    const position = /at position (\d+)/.exec(error.message)?.[1];
    return `not valid JSON${position ? ` (at offset ${position})` : ''}`;
  }
  return error.message;
}

/** The SQLSTATE of an error PostgreSQL raised (pg's DatabaseError), or undefined. */
function postgresCode(error: Error): string | undefined {
  return typeof (error as { severity?: unknown }).severity === 'string' ? sqlStateOf(error) : undefined;
}

/** The error with its message (and the first line of its stack) described by describeError, its frames kept. */
export function withSafeMessage(error: unknown): Error {
  const message = describeError(error);
  if (error instanceof Error && error.message === message) return error;
  const safe = new Error(message);
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)) : [];
  safe.name = error instanceof Error ? error.name : 'Error';
  safe.stack = [`${safe.name}: ${message}`, ...frames].join('\n');
  return safe;
}

/**
 * pino's `err` serializer with the message described as above and the fields that quote data left out
 * (PostgreSQL's detail, where, hint and query; a parser's raw input): type, message, code and stack frames.
 */
export function serializeErrorSafely(error: unknown): { type: string; message: string; stack: string; [field: string]: unknown } {
  if (!(error instanceof Error)) return { type: typeof error, message: describeError(error), stack: '' };
  const message = describeError(error);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const code = (error as { code?: unknown }).code;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  return {
    type: error.name,
    message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    stack: [`${error.name}: ${message}`, ...frames].join('\n'),
    ...(error.cause !== undefined ? { cause: serializeErrorSafely(error.cause) } : {}),
  };
}
