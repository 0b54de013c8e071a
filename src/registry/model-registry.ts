import { appendFile, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { extract } from '../core/extract.js';
import { isNerError, NerError, type ErrorCode } from '../errors.js';
import { CARD_FILE, listModelVersions, loadModel, readProductionPointer, setProductionVersion, type LoadedModel, type LoadOptions, type ProductionPointer } from './model-store.js';
import { parseModelCard, type ModelCard } from './model-card.js';

/**
 * The model registry: which version is in production, and how it changes. `promote` and `rollback` verify
 * the version they switch to completely (digests, CRF file, labels, templates, a test extraction) before
 * they write the production pointer, and append who / when / from / to to the promotion history, a JSON
 * line per change in `<modelsDir>/production-history.jsonl`. Serving processes watch the pointer
 * (model-reloader.ts).
 */

export const HISTORY_FILE = 'production-history.jsonl';
export const LOCK_FILE = '.registry.lock';
/** A lock older than this was left by a process that died mid-promotion (a promotion takes seconds). */
const STALE_LOCK_MS = 60_000;
const LOCK_WAIT_MS = 5_000;
/** Written for the test, never a patient's: a model that cannot get through it must not serve. */
const SMOKE_NOTE = 'Patients with advanced lung cancer were treated with cisplatin and radiotherapy.';

export interface PromotionRecord {
  at: string;
  action: 'promote' | 'rollback';
  /** The version in production before (null when there was no readable pointer). */
  from: string | null;
  to: string;
  /** Who asked: user@host for the CLI, or the job that promoted. */
  by: string;
  reason?: string;
}

export interface VersionSummary {
  version: string;
  created: string | null;
  description: string | null;
  labelEncoding: string | null;
  templates: number | null;
  /** Strict micro F1 of the card's cross-validation (mean and sd over folds), and on the test split. */
  cvStrictMicroF1: { mean: number; sd: number } | null;
  testStrictMicroF1: number | null;
  production: boolean;
  /** The card could not be read (the version cannot be promoted as it is). */
  problem?: { code: string; message: string };
}

/** Loads a version and checks it completely: everything loadModel verifies, then one extraction end to end. */
export async function verifyModelVersion(modelsDir: string, version: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const loaded = await loadModel(modelsDir, version, options);
  const record = extract(SMOKE_NOTE, loaded.model);
  if (record.modelVersion !== version) {
    throw new NerError('NER_ERR_MODEL_CARD_INVALID', `a test extraction came out as version ${record.modelVersion}, not ${version}`, { file: join(loaded.directory, CARD_FILE) });
  }
  return loaded;
}

export function summarizeCard(card: ModelCard, production: boolean): VersionSummary {
  const cv = card.metrics?.crossValidation?.mean?.strict?.micro?.f1;
  const test = card.metrics?.test?.strict?.micro?.f1;
  return {
    version: card.version,
    created: typeof card.created === 'string' ? card.created : null,
    description: typeof card.description === 'string' ? card.description : null,
    labelEncoding: card.labelEncoding,
    templates: card.templates.length,
    cvStrictMicroF1: cv && typeof cv.mean === 'number' ? { mean: cv.mean, sd: cv.sd } : null,
    testStrictMicroF1: typeof test === 'number' ? test : null,
    production,
  };
}

/** The production pointer, or null with the reason when it is missing or unreadable. */
export async function productionState(modelsDir: string): Promise<{ pointer: ProductionPointer | null; problem?: { code: ErrorCode; message: string } }> {
  try {
    return { pointer: await readProductionPointer(modelsDir) };
  } catch (error) {
    if (!isNerError(error)) throw error;
    return { pointer: null, problem: { code: error.code, message: error.message } };
  }
}

/** Every version with a model card, oldest name first, summarised from its card (not verified: see verifyModelVersion). */
export async function listVersionSummaries(modelsDir: string, production: string | null): Promise<VersionSummary[]> {
  const summaries: VersionSummary[] = [];
  for (const version of await listModelVersions(modelsDir)) {
    const cardPath = join(modelsDir, version, CARD_FILE);
    try {
      summaries.push(summarizeCard(parseModelCard(await readFile(cardPath, 'utf8'), cardPath), version === production));
    } catch (error) {
      const problem = isNerError(error) ? { code: error.code, message: error.message } : { code: 'NER_ERR_MODEL_CARD_INVALID', message: String(error) };
      summaries.push({ version, created: null, description: null, labelEncoding: null, templates: null, cvStrictMicroF1: null, testStrictMicroF1: null, production: version === production, problem });
    }
  }
  return summaries;
}

/** The promotion history, oldest first. A line that is not a record (a torn write) is left out. */
export async function readPromotionHistory(modelsDir: string): Promise<PromotionRecord[]> {
  const text = await readFile(join(modelsDir, HISTORY_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const records: PromotionRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as PromotionRecord;
      if ((record.action === 'promote' || record.action === 'rollback') && typeof record.to === 'string' && typeof record.at === 'string') records.push(record);
    } catch {
      // skipped: see above
    }
  }
  return records;
}

/**
 * The versions production went through, as a stack: a promotion pushes, a rollback pops. A pointer changed
 * outside the registry (by hand, or before the history existed) counts as pushed where it is seen.
 */
export function productionStack(history: readonly PromotionRecord[], current: string | null): string[] {
  const stack: string[] = [];
  const top = (): string | undefined => stack[stack.length - 1];
  for (const record of history) {
    if (record.action === 'rollback' && top() === record.from) stack.pop();
    else if (record.from !== null && top() !== record.from) stack.push(record.from);
    if (top() !== record.to) stack.push(record.to);
  }
  if (current !== null && top() !== current) stack.push(current);
  return stack;
}

export interface ProductionChange {
  /** False when the version asked for was already in production (nothing written). */
  changed: boolean;
  record: PromotionRecord;
  loaded: LoadedModel;
}

export interface ChangeOptions {
  by: string;
  reason?: string;
  now?: () => Date;
  /** How long to wait for another promote / rollback to finish (default 5 s). */
  lockWaitMs?: number;
}

/**
 * Makes `version` the production version, after verifying it completely. A version that fails is refused
 * with its error's code (NER_ERR_MODEL_CHECKSUM, _FORMAT, _TEMPLATES, _CARD_INVALID, _NOT_FOUND), the
 * message saying that production stays where it was; the pointer and the history are then untouched.
 */
export async function promoteVersion(modelsDir: string, version: string, options: ChangeOptions): Promise<ProductionChange> {
  return withRegistryLock(modelsDir, options.lockWaitMs, async () => {
    const { pointer } = await productionState(modelsDir);
    return switchTo(modelsDir, 'promote', pointer?.version ?? null, version, options);
  });
}

/** Back to the version that was production before the current one (NER_ERR_MODEL_NO_ROLLBACK when the history has none). */
export async function rollbackVersion(modelsDir: string, options: ChangeOptions): Promise<ProductionChange> {
  return withRegistryLock(modelsDir, options.lockWaitMs, async () => {
    const { pointer } = await productionState(modelsDir);
    const current = pointer?.version ?? null;
    const stack = productionStack(await readPromotionHistory(modelsDir), current);
    const target = stack.length >= 2 ? stack[stack.length - 2] : undefined;
    if (target === undefined || current === null) {
      throw new NerError(
        'NER_ERR_MODEL_NO_ROLLBACK',
        current === null
          ? 'there is no production version to roll back from'
          : `the promotion history (${HISTORY_FILE}) names no version that was in production before ${current}; promote one instead`,
        { file: join(modelsDir, HISTORY_FILE) },
      );
    }
    return switchTo(modelsDir, 'rollback', current, target, options);
  });
}

async function switchTo(modelsDir: string, action: PromotionRecord['action'], from: string | null, to: string, options: ChangeOptions): Promise<ProductionChange> {
  let loaded: LoadedModel;
  try {
    loaded = await verifyModelVersion(modelsDir, to);
  } catch (error) {
    if (!isNerError(error)) throw error;
    const stays = from === null ? 'there is still no production version' : `production stays ${from}`;
    throw new NerError(error.code, `refused to ${action === 'promote' ? 'promote' : 'roll back to'} ${to} (${stays}): ${error.message}`, { cause: error });
  }
  const at = (options.now ?? (() => new Date()))();
  const record: PromotionRecord = {
    at: at.toISOString(),
    action,
    from,
    to,
    by: options.by,
    ...(options.reason ? { reason: options.reason } : {}),
  };
  if (from === to) return { changed: false, record, loaded };
  await setProductionVersion(modelsDir, to, at);
  // One line in one write (O_APPEND): concurrent appends do not interleave. The pointer is written first, so a
  // crash between the two leaves production right and the change untracked (productionStack copes).
  await appendFile(join(modelsDir, HISTORY_FILE), `${JSON.stringify(record)}\n`);
  return { changed: true, record, loaded };
}

/** The caller as user@host, for the history. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  let user = env.USER ?? env.LOGNAME ?? env.USERNAME;
  try {
    user ??= userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers).
  }
  return `${user ?? 'unknown'}@${hostname()}`;
}

/**
 * One promote / rollback at a time per models directory: an exclusive lock file (O_EXCL), taken over when
 * a dead process left it more than STALE_LOCK_MS ago; NER_ERR_MODEL_REGISTRY_BUSY after waitMs.
 */
async function withRegistryLock<T>(modelsDir: string, waitMs = LOCK_WAIT_MS, action: () => Promise<T>): Promise<T> {
  const path = join(modelsDir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }));
      await handle.close();
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new NerError('NER_ERR_MODEL_NOT_FOUND', 'no models directory', { file: modelsDir, cause: error });
      if (code !== 'EEXIST') throw error;
      const held = await stat(path).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new NerError('NER_ERR_MODEL_REGISTRY_BUSY', `another promote or rollback holds ${LOCK_FILE}; retry in a few seconds`, { file: path });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await action();
  } finally {
    await rm(path, { force: true });
  }
}
