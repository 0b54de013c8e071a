import type { TokenSpan } from './label-codec.js';
import type { SpanScorer } from './span-confidence.js';

/**
 * How a model turns scores into entity spans. `viterbi`: the single best tag sequence (CRFsuite's own
 * decoding). `marginals`: the spans whose own probability (span-confidence.ts) reaches a threshold, the
 * likeliest first, without overlaps: strict span F1 scores spans, not sequences, and a span that most
 * sequences agree on can lose to one best sequence that lacks it. The threshold is chosen by
 * cross-validation; it is recorded in the model card like the span rules.
 */
export type SpanDecoding = { method: 'viterbi' } | { method: 'marginals'; threshold: number; maxLength: number };

export const VITERBI: SpanDecoding = { method: 'viterbi' };

/** Parses the train command's --decoding: `viterbi` or `marginals:THRESHOLD[:MAX_LENGTH]`. */
export function parseDecoding(text: string): SpanDecoding | null {
  if (text === 'viterbi') return VITERBI;
  const match = /^marginals:(0?\.\d+|0|1(?:\.0+)?)(?::([1-9]\d?))?$/.exec(text);
  if (!match) return null;
  return { method: 'marginals', threshold: Number(match[1]), maxLength: match[2] ? Number(match[2]) : 10 };
}

export function formatDecoding(decoding: SpanDecoding | undefined): string {
  return !decoding || decoding.method === 'viterbi' ? 'viterbi' : `marginals:${decoding.threshold}:${decoding.maxLength}`;
}

export function isSpanDecoding(value: unknown): value is SpanDecoding {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  if (d.method === 'viterbi') return true;
  return d.method === 'marginals' && typeof d.threshold === 'number' && d.threshold >= 0 && d.threshold <= 1 && Number.isInteger(d.maxLength) && (d.maxLength as number) >= 1;
}

/** The marginal decoding: candidates at or above the threshold, likeliest first (then leftmost), no overlaps. */
export function decodeByMarginals(scorer: SpanScorer, threshold: number, maxLength: number): TokenSpan[] {
  const candidates = scorer.candidates(threshold, maxLength);
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => b.probability - a.probability || a.start - b.start || a.end - b.end);
  const chosen: TokenSpan[] = [];
  for (const c of candidates) {
    if (chosen.some((s) => s.start < c.end && c.start < s.end)) continue;
    chosen.push({ type: c.type, start: c.start, end: c.end });
  }
  return chosen.sort((a, b) => a.start - b.start);
}
