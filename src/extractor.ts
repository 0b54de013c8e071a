import { extractInSteps, type ExtractionOutcome, type SequenceTagger } from './core/extract.js';
import type { ExtractionRecord } from './core/types.js';
import type { ServiceMetrics } from './monitoring/metrics.js';

/**
 * The extraction service every entry point (HTTP routes, queue processors, batch) calls: the core
 * extract() on the current model, with metrics, and with the event loop given a turn every
 * TOKENS_PER_SLICE tokens so a very long note does not stall the other requests of a server.
 */
export interface Extractor {
  readonly modelVersion: string;
  extract(text: string, noteId?: string): Promise<ExtractionRecord>;
}

/**
 * ~2,000 tokens is ~10 ms of tagging at the measured single-thread speed: the longest a short request
 * waits behind a long note (measured in scripts/bench.ts, "long-note").
 */
export const TOKENS_PER_SLICE = 2_000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function createExtractor(model: SequenceTagger, metrics?: ServiceMetrics, tokensPerSlice = TOKENS_PER_SLICE): Extractor {
  metrics?.modelInfo.set({ version: model.version }, 1);
  return {
    modelVersion: model.version,
    async extract(text, noteId) {
      const started = performance.now();
      const steps = extractInSteps(text, model, { ...(noteId === undefined ? {} : { noteId }), tokensPerStep: tokensPerSlice });
      let step = steps.next();
      while (!step.done) {
        await nextTurn();
        step = steps.next();
      }
      if (metrics) record(metrics, step.value, (performance.now() - started) / 1000);
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
