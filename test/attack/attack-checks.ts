import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/errors.js';

/** One figure of the attack suite, as one JSON line on stdout, so that runs can be compared. */
export function printFigure(figure: { attack: string } & Record<string, unknown>): void {
  console.log(JSON.stringify(figure));
}

/** CI runs every attack: a missing tool fails there, and skips the attack only on a developer's machine. */
export function requireTool(found: boolean, what: string): boolean {
  if (!found && process.env.CI) throw new Error(`CI runs every attack: install ${what}`);
  if (!found) console.log(`${what} is missing: skipping this attack (CI fails instead)`);
  return found;
}

/**
 * The attacks on real processes run the built code (dist/main-api.js, dist/main-worker.js): a dist/ older
 * than src/ would attack yesterday's code, so it is refused with what to do.
 */
export function assertBuiltFromSources(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((entry) => (entry.isDirectory() ? newest(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs)));
  const built = Math.min(...['main-api.js', 'main-worker.js'].map((file) => statSync(join(PROJECT_ROOT, 'dist', file)).mtimeMs));
  if (newest(join(PROJECT_ROOT, 'src')) > built) throw new Error('dist/ is older than src/: run `npm run build` before the attack suite');
}

/**
 * Why an error response is off the documented shape `{ "error": { "code": "NER_ERR_…", "message": "…" } }`
 * with a code of the catalogue answered with the catalogue's status, or undefined when it is on it.
 */
export function errorShapeProblem(statusCode: number, contentType: string | undefined, body: string): string | undefined {
  if (!/^application\/json\b/.test(contentType ?? '')) return `content-type ${contentType ?? 'none'}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const error = (parsed as { error?: unknown } | null)?.error as { code?: unknown; message?: unknown } | undefined;
  if (!error || typeof error !== 'object' || Object.keys(parsed as object).join() !== 'error') return `body keys ${Object.keys(parsed ?? {}).join(',') || 'none'}`;
  if (Object.keys(error).sort().join() !== 'code,message') return `error keys ${Object.keys(error).join(',')}`;
  if (typeof error.code !== 'string' || !(error.code in ERROR_CATALOGUE)) return `code ${String(error.code)} is not in the catalogue`;
  if (typeof error.message !== 'string' || error.message === '') return 'message is not a non-empty string';
  const documented = ERROR_CATALOGUE[error.code as ErrorCode].statusCode;
  // docs/errors.md: NER_ERR_HTTP_BAD_REQUEST keeps the few statuses HTTP gives a malformed request of its own.
  const alsoDocumented = error.code === 'NER_ERR_HTTP_BAD_REQUEST' ? [408, 414, 431] : [];
  if (documented !== statusCode && !alsoDocumented.includes(statusCode)) return `${error.code} answered with ${statusCode}, documented as ${documented}`;
  return undefined;
}

interface EntityLike {
  text?: unknown;
  start?: unknown;
  end?: unknown;
}

/** Entities of a record whose offsets do not give back their text (`text.slice(start, end) === entity.text`). */
export function offsetProblems(text: string, record: { entities?: EntityLike[]; diseases?: EntityLike[]; treatments?: EntityLike[] }): number {
  const entities = [...(record.entities ?? []), ...(record.diseases ?? []), ...(record.treatments ?? [])];
  return entities.filter((e) => typeof e.start !== 'number' || typeof e.end !== 'number' || text.slice(e.start, e.end) !== e.text).length;
}

/** The p-th percentile (0–100) of some numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
