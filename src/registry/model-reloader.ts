import { watch, type FSWatcher } from 'node:fs';
import { isNerError } from '../errors.js';
import { PRODUCTION_POINTER, readProductionPointer, type LoadedModel } from './model-store.js';
import { verifyModelVersion } from './model-registry.js';

/**
 * Hot reload: a serving process (API worker, queue worker) follows the production pointer. It watches the
 * models directory (fs.watch: a promotion is seen within milliseconds) and re-reads the pointer every
 * pollMs as well (fs.watch is not reliable on network and some container file systems, and misses nothing
 * this way). When the pointer names another version, that version is loaded and verified completely
 * (verifyModelVersion) in the background, then handed to onSwap in one step. A version that fails
 * verification is refused: the current model keeps serving, the refusal is logged (with the error code and
 * file, never a note) and reported to onRefused, and that pointer is not tried again until it changes.
 */

/** The subset of a pino / Fastify logger the reloader writes to. */
export interface ReloadLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface ModelRefusal {
  /** The version the pointer named (null when the pointer itself could not be read). */
  version: string | null;
  code: string;
  message: string;
  at: string;
}

/** What a process serves: for GET /v1/models and the logs. */
export interface ModelState {
  version: string;
  loadedAt: string;
  /** The last promoted version this process refused, while the pointer still names it. */
  refused: ModelRefusal | null;
}

export type ReloadOutcome = 'unchanged' | 'swapped' | 'refused' | 'closed';

export interface ModelReloader {
  readonly current: LoadedModel;
  readonly state: ModelState;
  /** Reads the pointer now and swaps if it names another version; concurrent calls share one check. */
  check(): Promise<ReloadOutcome>;
  /** Stops watching and polling; waits for a load in progress (which then does not swap). */
  close(): Promise<void>;
}

export interface ModelReloaderOptions {
  modelsDir: string;
  /** The model the process started with. */
  initial: LoadedModel;
  /** Swaps the serving model (e.g. extractor.swap); called once per new version, after it is verified. */
  onSwap(loaded: LoadedModel, previous: LoadedModel): void;
  onRefused?(refusal: ModelRefusal): void;
  /** Every change of state (swap, refusal, refusal cleared). */
  onState?(state: ModelState): void;
  log: ReloadLog;
  /** Milliseconds between reads of the pointer; 0: the file watch alone. */
  pollMs: number;
  /** Watch the directory (default true); off, polling alone. */
  watch?: boolean;
  /** Loads and verifies a version (default verifyModelVersion, reusing the serving model's unchanged resource files). */
  load?: (modelsDir: string, version: string, serving: LoadedModel) => Promise<LoadedModel>;
  now?: () => Date;
}

const WATCH_DEBOUNCE_MS = 25;

export function watchProductionModel(options: ModelReloaderOptions): ModelReloader {
  const load = options.load ?? ((dir: string, version: string, serving: LoadedModel) => verifyModelVersion(dir, version, { reuse: serving }));
  const now = options.now ?? (() => new Date());
  const { log, modelsDir } = options;
  let current = options.initial;
  let state: ModelState = { version: current.card.version, loadedAt: now().toISOString(), refused: null };
  let refusedKey: string | undefined;
  let closed = false;

  const setState = (next: ModelState): void => {
    state = next;
    options.onState?.(state);
  };

  const refuse = (key: string, version: string | null, error: unknown): ReloadOutcome => {
    if (key === refusedKey) return 'refused';
    refusedKey = key;
    const code = isNerError(error) ? error.code : 'NER_ERR_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    const refusal: ModelRefusal = { version, code, message, at: now().toISOString() };
    log.error({ code, refusedVersion: version, servingVersion: current.card.version, error: message }, 'model reload refused: the current model keeps serving');
    options.onRefused?.(refusal);
    setState({ ...state, refused: refusal });
    return 'refused';
  };

  async function runCheck(): Promise<ReloadOutcome> {
    if (closed) return 'closed';
    let pointer;
    try {
      pointer = await readProductionPointer(modelsDir);
    } catch (error) {
      return refuse(`pointer:${isNerError(error) ? error.code : String(error)}`, null, error);
    }
    if (pointer.version === current.card.version) {
      refusedKey = undefined;
      if (state.refused) setState({ ...state, refused: null });
      return 'unchanged';
    }
    const key = `version:${pointer.version}\0${pointer.promotedAt ?? ''}`;
    if (key === refusedKey) return 'refused';
    const started = performance.now();
    let loaded: LoadedModel;
    try {
      loaded = await load(modelsDir, pointer.version, current);
    } catch (error) {
      return refuse(key, pointer.version, error);
    }
    if (closed) return 'closed';
    const previous = current;
    current = loaded;
    refusedKey = undefined;
    options.onSwap(loaded, previous);
    setState({ version: loaded.card.version, loadedAt: now().toISOString(), refused: null });
    log.info({ from: previous.card.version, to: loaded.card.version, loadMs: Math.round(performance.now() - started) }, 'model reloaded: new requests use the new version');
    return 'swapped';
  }

  // Checks run one after another; a call while one runs queues one more (callers share it), never more.
  let tail: Promise<unknown> = Promise.resolve();
  let queued: Promise<ReloadOutcome> | undefined;
  const check = (): Promise<ReloadOutcome> => {
    if (queued) return queued;
    const next = tail.then(() => {
      queued = undefined;
      return runCheck();
    });
    queued = next;
    tail = next.catch(() => undefined);
    return next;
  };
  const checkInBackground = (): void => {
    check().catch((error: unknown) => log.error({ error: String(error) }, 'model reload check failed'));
  };

  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  if (options.watch ?? true) {
    try {
      // The directory, not the file: promotion renames a new production.json into place, replacing the inode.
      watcher = watch(modelsDir, { persistent: false }, (_event, filename) => {
        if (filename !== null && filename !== PRODUCTION_POINTER) return;
        if (debounce) return;
        debounce = setTimeout(() => {
          debounce = undefined;
          checkInBackground();
        }, WATCH_DEBOUNCE_MS);
      });
      watcher.on('error', (error) => {
        log.warn({ error: error.message, pollMs: options.pollMs }, 'watching the models directory failed; polling the production pointer only');
        watcher?.close();
        watcher = undefined;
      });
    } catch (error) {
      log.warn({ error: (error as Error).message, pollMs: options.pollMs }, 'cannot watch the models directory; polling the production pointer only');
    }
  }
  const poll = options.pollMs > 0 ? setInterval(checkInBackground, options.pollMs) : undefined;
  poll?.unref();
  // A promotion between the process's own load and now is caught at once.
  checkInBackground();

  return {
    get current() {
      return current;
    },
    get state() {
      return state;
    },
    check,
    async close() {
      closed = true;
      if (poll) clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      await tail;
    },
  };
}
