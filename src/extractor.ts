import { extractInSteps, type ExtractionOutcome, type SequenceTagger } from './core/extract.js';
import type { ExtractionRecord } from './core/types.js';
import type { ServiceMetrics } from './monitoring/metrics.js';

/**
 * The extraction service every entry point (HTTP routes, queue processors, batch) calls: the core
 * extract() on the current model, with metrics, and with the event loop given a turn every
 * tokensPerSlice tokens so a very long note does not stall the other requests of a server.
 */
export interface Extractor {
  readonly modelVersion: string;
  extract(text: string, noteId?: string): Promise<ExtractionRecord>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** tokensPerSlice: EXTRACT_SLICE_TOKENS, where 0 (the default here) tags every note in one go. */
export function createExtractor(model: SequenceTagger, metrics?: ServiceMetrics, slice = 0): Extractor {
  const tokensPerSlice = slice > 0 ? slice : Infinity;
  metrics?.modelInfo.set({ version: model.version }, 1);
  return {
    modelVersion: model.version,
    async extract(text, noteId) {
      const steps = extractInSteps(text, model, { ...(noteId === undefined ? {} : { noteId }), tokensPerStep: tokensPerSlice });
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
