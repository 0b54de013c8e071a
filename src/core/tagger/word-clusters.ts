import { mulberry32 } from '../text/folds.js';

/**
 * Word clusters learned from unlabelled text, in the spirit of Brown clusters: words used in similar
 * contexts (drug names, procedures, disease heads) share a cluster id, so a word the annotated corpus never
 * labelled still gets the weights its cluster earned. Contexts are the words ±1 and ±2 around each use,
 * weighted by PPMI, randomly projected to a dense vector, then grouped by spherical k-means into the finest
 * level and the centroids grouped again into coarser levels (a hierarchy, like Brown bit-string prefixes).
 */
export interface WordClusters {
  /** Cluster sizes, finest first, e.g. [512, 128, 32]. */
  readonly levels: readonly number[];
  /** normalised word -> cluster id per level. */
  readonly clusters: ReadonlyMap<string, readonly number[]>;
}

export interface ClusterOptions {
  levels: readonly number[];
  minCount: number;
  maxVocabulary: number;
  contextWords: number;
  dimensions: number;
  iterations: number;
  seed: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  levels: [512, 128, 32],
  minCount: 3,
  maxVocabulary: 40_000,
  contextWords: 1_500,
  dimensions: 192,
  iterations: 8,
  seed: 7,
};

const OFFSETS = [-2, -1, 1, 2] as const;

/** Lower case, digits folded to 0: "HbA1c" and "hba2c" are one word for clustering. */
export function clusterKey(word: string): string {
  return word.toLowerCase().replace(/\d/g, '0');
}

function byFrequency(counts: Map<string, number>, minCount: number, limit: number): string[] {
  return [...counts.entries()].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit).map(([w]) => w);
}

function randomProjection(rows: number, dimensions: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const matrix = new Float32Array(rows * dimensions);
  for (let i = 0; i < matrix.length; i++) matrix[i] = random() < 0.5 ? -1 : 1;
  return matrix;
}

function normalise(vectors: Float32Array, count: number, dimensions: number): void {
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let d = 0; d < dimensions; d++) norm += (vectors[i * dimensions + d] as number) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dimensions; d++) vectors[i * dimensions + d] = (vectors[i * dimensions + d] as number) * scale;
  }
}

/** Spherical k-means (cosine) over `count` unit vectors; returns each vector's cluster and the centroids. */
export function sphericalKMeans(
  vectors: Float32Array, count: number, dimensions: number, k: number, iterations: number, seed: number,
): { assignment: Int32Array; centroids: Float32Array } {
  const clusters = Math.min(k, count);
  const random = mulberry32(seed);
  const centroids = new Float32Array(clusters * dimensions);
  const picked = new Set<number>();
  for (let c = 0; c < clusters; c++) {
    let i = Math.floor(random() * count);
    while (picked.has(i)) i = (i + 1) % count;
    picked.add(i);
    centroids.set(vectors.subarray(i * dimensions, (i + 1) * dimensions), c * dimensions);
  }
  const assignment = new Int32Array(count);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let i = 0; i < count; i++) {
      let best = 0;
      let bestScore = -Infinity;
      const offset = i * dimensions;
      for (let c = 0; c < clusters; c++) {
        let score = 0;
        const centroid = c * dimensions;
        for (let d = 0; d < dimensions; d++) score += (vectors[offset + d] as number) * (centroids[centroid + d] as number);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      assignment[i] = best;
    }
    centroids.fill(0);
    for (let i = 0; i < count; i++) {
      const centroid = (assignment[i] as number) * dimensions;
      for (let d = 0; d < dimensions; d++) centroids[centroid + d] = (centroids[centroid + d] as number) + (vectors[i * dimensions + d] as number);
    }
    normalise(centroids, clusters, dimensions);
  }
  return { assignment, centroids };
}

/** Learns clusters from tokenized sentences of unlabelled text. Deterministic for a given input and seed. */
export function learnWordClusters(sentences: Iterable<readonly string[]>, options: ClusterOptions = DEFAULT_CLUSTER_OPTIONS): WordClusters {
  const corpus: string[][] = [];
  const counts = new Map<string, number>();
  for (const sentence of sentences) {
    const keys = sentence.map(clusterKey);
    corpus.push(keys);
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const vocabulary = byFrequency(counts, options.minCount, options.maxVocabulary);
  const wordIndex = new Map(vocabulary.map((w, i) => [w, i]));
  const contextIndex = new Map(vocabulary.slice(0, options.contextWords).map((w, i) => [w, i]));
  const features = OFFSETS.length * contextIndex.size;

  // Co-occurrence counts per (word, offset-context feature), sparse.
  const cooccurrence: Map<number, number>[] = vocabulary.map(() => new Map());
  const featureTotals = new Float64Array(features);
  for (const keys of corpus) {
    keys.forEach((key, i) => {
      const w = wordIndex.get(key);
      if (w === undefined) return;
      OFFSETS.forEach((offset, o) => {
        const context = keys[i + offset];
        const c = context === undefined ? undefined : contextIndex.get(context);
        if (c === undefined) return;
        const f = o * contextIndex.size + c;
        const row = cooccurrence[w] as Map<number, number>;
        row.set(f, (row.get(f) ?? 0) + 1);
        featureTotals[f] = (featureTotals[f] as number) + 1;
      });
    });
  }

  // PPMI with context-distribution smoothing (alpha 0.75), projected onto random ±1 directions.
  let smoothedTotal = 0;
  for (let f = 0; f < features; f++) smoothedTotal += (featureTotals[f] as number) ** 0.75;
  const { dimensions } = options;
  const projection = randomProjection(features, dimensions, options.seed);
  const vectors = new Float32Array(vocabulary.length * dimensions);
  cooccurrence.forEach((row, w) => {
    let rowTotal = 0;
    for (const n of row.values()) rowTotal += n;
    for (const [f, n] of row) {
      const pmi = Math.log((n * smoothedTotal) / (rowTotal * (featureTotals[f] as number) ** 0.75));
      if (pmi <= 0) continue;
      for (let d = 0; d < dimensions; d++) {
        vectors[w * dimensions + d] = (vectors[w * dimensions + d] as number) + pmi * (projection[f * dimensions + d] as number);
      }
    }
  });
  normalise(vectors, vocabulary.length, dimensions);

  // Finest level from the words; each coarser level from the previous level's centroids.
  const perLevel: Int32Array[] = [];
  let points: Float32Array = vectors;
  let pointCount = vocabulary.length;
  let mapToPoint: Int32Array = Int32Array.from(vocabulary.keys());
  for (const [level, k] of options.levels.entries()) {
    const { assignment, centroids } = sphericalKMeans(points, pointCount, dimensions, k, options.iterations, options.seed + level);
    mapToPoint = Int32Array.from(mapToPoint, (p) => assignment[p] as number);
    perLevel.push(mapToPoint);
    points = centroids;
    pointCount = centroids.length / dimensions;
  }
  const clusters = new Map<string, number[]>();
  vocabulary.forEach((word, w) => clusters.set(word, perLevel.map((ids) => ids[w] as number)));
  return { levels: options.levels, clusters };
}
