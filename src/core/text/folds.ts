/** Deterministic k-fold split of n items: the same (n, k, seed) always gives the same folds. */
export function kFoldIndices(n: number, k: number, seed: number): number[][] {
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), mulberry32(seed));
  const folds: number[][] = Array.from({ length: k }, () => []);
  order.forEach((index, position) => (folds[position % k] as number[]).push(index));
  return folds.map((fold) => fold.sort((a, b) => a - b));
}

/** Fisher–Yates shuffle of `items` in place, drawing from `random`; returns `items`. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Train / held-out partition for fold `fold` of `folds`. */
export function foldPartition<T>(items: readonly T[], folds: number[][], fold: number): { train: T[]; heldOut: T[] } {
  const heldOutSet = new Set(folds[fold]);
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, i) => (heldOutSet.has(i) ? heldOut : train).push(item));
  return { train, heldOut };
}

/** A small, well-distributed seeded PRNG (public domain). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
