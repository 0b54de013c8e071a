import { describe, expect, it } from 'vitest';
import { entitiesDiffer, reviewKpis } from '../../src/core/evaluation/review-kpis.js';

const d = (start: number, end: number) => ({ type: 'disease' as const, start, end });
const t = (start: number, end: number) => ({ type: 'treatment' as const, start, end });

describe('reviewKpis', () => {
  it('scores the model against reviewers per type on exact span and type', () => {
    const kpis = reviewKpis([
      { before: [d(0, 5), t(10, 15)], after: [d(0, 5), t(10, 15)], seconds: 4, changed: false },
      // boundary changed (no match), a treatment retyped as disease, a disease added
      { before: [d(0, 7), t(20, 25)], after: [d(0, 13), d(20, 25), d(30, 35)], seconds: 10, changed: true },
      { before: [], after: [t(1, 2)], seconds: 30, changed: true },
    ]);
    expect(kpis.reviews).toBe(3);
    expect(kpis.perType.disease).toEqual({ precision: 0.5, recall: 0.25, f1: 1 / 3, truePositives: 1, predicted: 2, reviewed: 4 });
    expect(kpis.perType.treatment).toMatchObject({ precision: 0.5, recall: 0.5, truePositives: 1, predicted: 2, reviewed: 2 });
    expect(kpis.micro).toMatchObject({ precision: 0.5, recall: 2 / 6, truePositives: 2, predicted: 4, reviewed: 6 });
    expect(kpis.acceptedWithoutChange).toBeCloseTo(1 / 3);
    expect(kpis.reviewSeconds).toEqual({ mean: 44 / 3, median: 10 });
  });

  it('answers nulls with no reviews, and the even-count median', () => {
    expect(reviewKpis([])).toMatchObject({ reviews: 0, acceptedWithoutChange: null, reviewSeconds: { mean: null, median: null }, micro: { precision: null, recall: null, f1: null } });
    expect(reviewKpis([{ before: [], after: [], seconds: 2, changed: false }, { before: [], after: [], seconds: 5, changed: false }]).reviewSeconds.median).toBe(3.5);
  });

  it('compares entity lists as sets', () => {
    expect(entitiesDiffer([d(0, 5), t(6, 9)], [t(6, 9), d(0, 5)])).toBe(false);
    expect(entitiesDiffer([d(0, 5)], [t(0, 5)])).toBe(true);
    expect(entitiesDiffer([d(0, 5)], [d(0, 5), d(7, 9)])).toBe(true);
  });
});
