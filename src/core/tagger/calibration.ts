/**
 * Calibrating entity confidences: the CRF's span marginal is a probability under the model, not the
 * observed chance that the span is right (CRFs trained with L2 are over-confident, and this corpus's
 * annotation policy leaves real mentions unlabelled). Isotonic regression on out-of-fold predictions maps
 * one to the other without assuming a shape; the map is a few knots stored in the model card.
 */

import { spansFromCorpusLabels, type TokenSpan } from './label-codec.js';
import type { LabeledSentence } from '../text/types.js';

/** One out-of-fold prediction: the model's confidence and whether the span matched a gold span exactly. */
export interface ConfidenceObservation {
  confidence: number;
  correct: boolean;
}

/** A monotone piecewise-linear map from raw confidence to observed precision (knots sorted by raw). */
export interface CalibrationMap {
  method: 'isotonic';
  /** [raw, calibrated] pairs; raw values below the first or above the last knot take its calibrated value. */
  knots: [number, number][];
  /** How many out-of-fold predictions it was fitted on. */
  observations: number;
}

/** Pool-adjacent-violators: the non-decreasing step function closest (least squares) to the observations. */
export function fitIsotonic(observations: readonly ConfidenceObservation[]): CalibrationMap {
  const sorted = [...observations].filter((o) => Number.isFinite(o.confidence)).sort((a, b) => a.confidence - b.confidence);
  const blocks: { sumX: number; sumY: number; n: number }[] = [];
  for (const o of sorted) {
    blocks.push({ sumX: o.confidence, sumY: o.correct ? 1 : 0, n: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as (typeof blocks)[number];
      const previous = blocks[blocks.length - 2] as (typeof blocks)[number];
      if (previous.sumY / previous.n < last.sumY / last.n) break;
      blocks.pop();
      previous.sumX += last.sumX;
      previous.sumY += last.sumY;
      previous.n += last.n;
    }
  }
  const knots = blocks.map((b): [number, number] => [round(b.sumX / b.n), round(b.sumY / b.n)]);
  return { method: 'isotonic', knots, observations: sorted.length };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The calibrated confidence of a raw one: linear between knots, flat beyond them; identity without knots. */
export function calibrate(map: CalibrationMap | undefined, raw: number): number {
  const knots = map?.knots;
  if (!knots || knots.length === 0) return clamp01(raw);
  const firstKnot = knots[0] as [number, number];
  if (raw <= firstKnot[0]) return firstKnot[1];
  const lastKnot = knots[knots.length - 1] as [number, number];
  if (raw > lastKnot[0]) return lastKnot[1];
  // The first knot at or above raw, by bisection (a map has a knot per pooled block: tens to hundreds).
  let lo = 1;
  let hi = knots.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((knots[mid] as [number, number])[0] >= raw) hi = mid;
    else lo = mid + 1;
  }
  const [x1, y1] = knots[lo] as [number, number];
  const [x0, y0] = knots[lo - 1] as [number, number];
  return x1 === x0 ? y1 : y0 + ((y1 - y0) * (raw - x0)) / (x1 - x0);
}

const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0);

export interface ReliabilityBin {
  /** [from, to): the bin of predicted confidence (the last bin includes 1). */
  from: number;
  to: number;
  count: number;
  /** Mean predicted confidence of the bin's spans, and the share of them that were right. */
  predicted: number;
  observed: number;
}

export interface ReliabilityTable {
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ (count / total) · |predicted − observed|. */
  ece: number;
  count: number;
}

/** Predicted vs observed precision in `binCount` equal-width bins of confidence (empty bins omitted). */
export function reliabilityTable(observations: readonly ConfidenceObservation[], binCount = 10): ReliabilityTable {
  const sums = Array.from({ length: binCount }, () => ({ count: 0, predicted: 0, correct: 0 }));
  for (const o of observations) {
    const bin = sums[Math.min(binCount - 1, Math.max(0, Math.floor(o.confidence * binCount)))] as (typeof sums)[number];
    bin.count++;
    bin.predicted += o.confidence;
    bin.correct += o.correct ? 1 : 0;
  }
  const total = observations.length;
  const bins = sums.flatMap((s, i): ReliabilityBin[] =>
    s.count === 0 ? [] : [{ from: i / binCount, to: (i + 1) / binCount, count: s.count, predicted: round(s.predicted / s.count), observed: round(s.correct / s.count) }],
  );
  const ece = total === 0 ? 0 : bins.reduce((sum, b) => sum + (b.count / total) * Math.abs(b.predicted - b.observed), 0);
  return { bins, ece: round(ece), count: total };
}

/**
 * Honest reliability of a calibration fitted on cross-validation folds: each fold's observations are
 * calibrated by a map fitted on the other folds only, then all are tabled together.
 */
export function crossFittedReliability(observationsByFold: readonly (readonly ConfidenceObservation[])[], binCount = 10): ReliabilityTable {
  const calibrated = observationsByFold.flatMap((held, f) => {
    const map = fitIsotonic(observationsByFold.filter((_, g) => g !== f).flat());
    return held.map((o) => ({ confidence: calibrate(map, o.confidence), correct: o.correct }));
  });
  return reliabilityTable(calibrated, binCount);
}

/** Each predicted span's confidence and whether a gold span has exactly its boundaries and type. */
export function confidenceObservations(gold: LabeledSentence, predicted: readonly (TokenSpan & { confidence: number })[]): ConfidenceObservation[] {
  const goldKeys = new Set(spansFromCorpusLabels(gold.labels).map((g) => `${g.type}:${g.start}:${g.end}`));
  return predicted.map((p) => ({ confidence: p.confidence, correct: goldKeys.has(`${p.type}:${p.start}:${p.end}`) }));
}

/** The reliability table as aligned text: one row per bin of confidence. */
export function formatReliability(table: ReliabilityTable): string {
  const rows = table.bins.map((b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}  ${String(b.count).padStart(6)}  ${b.predicted.toFixed(3).padStart(9)}  ${b.observed.toFixed(3).padStart(8)}`);
  return [`confidence  spans  predicted  observed   (ECE ${table.ece.toFixed(3)} over ${table.count} spans)`, ...rows].join('\n');
}
