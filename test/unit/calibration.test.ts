import { describe, expect, it } from 'vitest';
import { calibrate, crossFittedReliability, fitIsotonic, reliabilityTable, type ConfidenceObservation } from '../../src/core/tagger/calibration.js';

const obs = (confidence: number, correct: boolean): ConfidenceObservation => ({ confidence, correct });

describe('isotonic calibration', () => {
  it('pools adjacent violators into a non-decreasing map', () => {
    const map = fitIsotonic([obs(0.1, false), obs(0.2, true), obs(0.3, false), obs(0.9, true)]);
    expect(map.knots).toEqual([[0.1, 0], [0.25, 0.5], [0.9, 1]]);
    expect(map.observations).toBe(4);
    for (let k = 1; k < map.knots.length; k++) expect(map.knots[k]![1]).toBeGreaterThanOrEqual(map.knots[k - 1]![1]);
  });

  it('interpolates between knots, is flat beyond them, and is the identity (clamped) without a map', () => {
    const map = { method: 'isotonic' as const, knots: [[0.2, 0.1], [0.6, 0.5]] as [number, number][], observations: 2 };
    expect(calibrate(map, 0.4)).toBeCloseTo(0.3);
    expect(calibrate(map, 0.05)).toBe(0.1);
    expect(calibrate(map, 0.99)).toBe(0.5);
    expect(calibrate(undefined, 0.42)).toBe(0.42);
    expect(calibrate(undefined, 1.5)).toBe(1);
  });

  it('tables predicted against observed precision per bin, with the expected calibration error', () => {
    const table = reliabilityTable([obs(0.05, false), obs(0.95, true), obs(0.95, false), obs(1, true)], 10);
    expect(table.bins).toEqual([
      { from: 0, to: 0.1, count: 1, predicted: 0.05, observed: 0 },
      { from: 0.9, to: 1, count: 3, predicted: 0.966667, observed: 0.666667 },
    ]);
    expect(table.ece).toBeCloseTo((1 / 4) * 0.05 + (3 / 4) * 0.3, 5);
  });

  it('cross-fitted calibration of an over-confident model is better calibrated than the raw confidences', () => {
    // Raw confidence c is right with probability c²: over-confident everywhere but at the ends.
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const folds = Array.from({ length: 5 }, () =>
      Array.from({ length: 400 }, () => {
        const c = random();
        return obs(c, random() < c * c);
      }),
    );
    const raw = reliabilityTable(folds.flat());
    const calibrated = crossFittedReliability(folds);
    expect(raw.ece).toBeGreaterThan(0.1);
    expect(calibrated.ece).toBeLessThan(0.05);
    expect(calibrated.count).toBe(2000);
  });
});
