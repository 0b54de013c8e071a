import { extractInSteps, type ExtractionOutcome, type ExtractOptions, type SequenceTagger } from './core/extract.js';
import type { ExtractionRecord } from './core/text/types.js';
import type { ServiceMetrics } from './monitoring/metrics.js';

/**
 * The extraction service every entry point (HTTP routes, queue processors, batch) calls: the core
 * extract() on the current model, with metrics, and with the event loop given a turn every
 * tokensPerSlice tokens so a very long note does not stall the other requests of a server.
 */
export interface Extractor {
  /** The version serving now (it changes when a hot reload swaps the model). */
  readonly modelVersion: string;
  /** One note, on the model serving when the call starts, to the end (a swap meanwhile does not affect it). */
  extract(text: string, noteId?: string, options?: Omit<ExtractOptions, 'noteId'>): Promise<ExtractionRecord>;
  /** An extractor fixed on the model serving now: a batch takes one, so all its notes come from one version. */
  pinned(): Extractor;
}

/** The extractor a process serves with: swap() replaces its model atomically (hot reload). */
export interface SwappableExtractor extends Extractor {
  /** Calls started before keep the model they started with; every call after uses this one. */
  swap(model: SequenceTagger): void;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Admits work while the characters being worked on stay within a budget, first come first served; a piece
 * larger than the whole budget runs when nothing else does.
 */
export function characterBudget(maxChars: number): { run<T>(chars: number, work: () => Promise<T>): Promise<T>; readonly inFlight: number; readonly waiting: number } {
  let inFlight = 0;
  const queue: { chars: number; start: () => void }[] = [];
  const fits = (chars: number): boolean => inFlight === 0 || inFlight + chars <= maxChars;
  const admit = (): void => {
    while (queue.length > 0 && fits((queue[0] as { chars: number }).chars)) {
      const next = queue.shift() as { chars: number; start: () => void };
      inFlight += next.chars;
      next.start();
    }
  };
  return {
    async run(chars, work) {
      if (queue.length === 0 && fits(chars)) inFlight += chars;
      else await new Promise<void>((start) => queue.push({ chars, start }));
      try {
        return await work();
      } finally {
        inFlight -= chars;
        admit();
      }
    },
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/**
 * tokensPerSlice: EXTRACT_SLICE_TOKENS, where 0 (the default here) tags every note in one go.
 * maxCharsInFlight: EXTRACT_MAX_CHARS_IN_FLIGHT (0, the default here: no limit), the characters of the notes
 * being extracted at once (sliced notes interleave, and each holds its tokens, features and scores until it is
 * done); more wait their turn, so that a process's working set does not grow with its connections.
 */
export function createExtractor(initial: SequenceTagger, metrics?: ServiceMetrics, slice = 0, maxCharsInFlight = 0): SwappableExtractor {
  const tokensPerSlice = slice > 0 ? slice : Infinity;
  const budget = characterBudget(maxCharsInFlight > 0 ? maxCharsInFlight : Infinity);
  let current = initial;
  metrics?.modelInfo.set({ version: initial.version }, 1);

  async function extractWith(model: SequenceTagger, text: string, noteId: string | undefined, options: Omit<ExtractOptions, 'noteId'> = {}): Promise<ExtractionRecord> {
    const steps = extractInSteps(text, model, { ...options, ...(noteId === undefined ? {} : { noteId }), tokensPerStep: tokensPerSlice });
    // Time spent extracting, not waiting for turns between slices.
    let started = performance.now();
    let step = steps.next();
    let milliseconds = performance.now() - started;
    while (!step.done) {
      await nextTurn();
      started = performance.now();
      step = steps.next();
      milliseconds += performance.now() - started;
    }
    if (metrics) record(metrics, step.value, milliseconds / 1000);
    return step.value.record;
  }

  const admitted = (model: SequenceTagger, text: string, noteId: string | undefined, options?: Omit<ExtractOptions, 'noteId'>): Promise<ExtractionRecord> =>
    budget.run(text.length, () => extractWith(model, text, noteId, options));

  const fixedOn = (model: SequenceTagger): Extractor => ({
    modelVersion: model.version,
    extract: (text, noteId, options) => admitted(model, text, noteId, options),
    pinned: () => fixedOn(model),
  });

  return {
    get modelVersion() {
      return current.version;
    },
    extract: (text, noteId, options) => admitted(current, text, noteId, options),
    pinned: () => fixedOn(current),
    swap(model) {
      current = model;
      // One series: the version this process serves now (the cluster's aggregate shows both during a rollout).
      metrics?.modelInfo.reset();
      metrics?.modelInfo.set({ version: model.version }, 1);
    },
  };
}

function record(metrics: ServiceMetrics, { record: result, tokens }: ExtractionOutcome, seconds: number): void {
  metrics.notes.inc({ outcome: 'ok' });
  metrics.tokens.inc(tokens);
  if (result.diseases.length > 0) metrics.entities.inc({ type: 'disease' }, result.diseases.length);
  if (result.treatments.length > 0) metrics.entities.inc({ type: 'treatment' }, result.treatments.length);
  metrics.extractionDuration.observe(seconds);
}
