import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldPartition, kFoldIndices } from '../../src/core/text/folds.js';

describe('k-fold split', () => {
  it('partitions every index into exactly one fold of near-equal size, deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 2, max: 10 }), fc.integer(), (n, k, seed) => {
        const folds = kFoldIndices(n, k, seed);
        expect(folds).toHaveLength(k);
        expect(folds.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        const sizes = folds.map((f) => f.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(kFoldIndices(n, k, seed)).toEqual(folds);
      }),
    );
  });

  it('shuffles: different seeds give different folds', () => {
    expect(kFoldIndices(100, 5, 1)).not.toEqual(kFoldIndices(100, 5, 2));
  });

  it('holds a fold out and trains on the rest', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const folds = kFoldIndices(items.length, 3, 7);
    const { train, heldOut } = foldPartition(items, folds, 1);
    expect(heldOut).toEqual((folds[1] as number[]).map((i) => items[i]));
    expect([...train, ...heldOut].sort()).toEqual(items);
  });
});
