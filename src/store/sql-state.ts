/**
 * What a PostgreSQL error's SQLSTATE says: the one reading of it that the stores, the job service, the
 * migration and error descriptions share. A lost connection (pg's own Error) has no SQLSTATE.
 */

/** The SQLSTATE of an error PostgreSQL raised, or undefined for any other error. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether an error says PostgreSQL cannot be reached or went away (no server, a refused or dropped
 * connection, a shutdown, too many connections), as opposed to a statement PostgreSQL refused.
 */
export function isConnectionError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state === undefined) return error instanceof Error && !(error instanceof TypeError || error instanceof RangeError);
  return state.startsWith('08') || state.startsWith('57') || state === '53300';
}

/**
 * A value PostgreSQL refuses (class 22, data exception) or a constraint it violates (class 23): retrying
 * the same rows fails the same way, unlike a lost connection (08), a shutdown (57) or an error without SQLSTATE.
 */
export function isDataError(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}
