import { mulberry32, shuffleInPlace } from '../text/folds.js';

/** A binary logistic regression over string features: P(y = 1) = σ(bias + Σ weights of the features present). */
export interface LogisticModel {
  bias: number;
  weights: ReadonlyMap<string, number>;
}

export interface LogisticOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

/** Trained by SGD with L2, in a seeded order: the same data always gives the same model. */
export function trainLogistic(items: readonly { features: readonly string[]; y: 0 | 1 }[], options: LogisticOptions): LogisticModel {
  const weights = new Map<string, number>();
  let bias = 0;
  const random = mulberry32(options.seed);
  const order = items.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const item = items[index] as (typeof items)[number];
      let z = bias;
      for (const f of item.features) z += weights.get(f) ?? 0;
      const gradient = 1 / (1 + Math.exp(-z)) - item.y;
      bias -= options.learningRate * gradient;
      for (const f of item.features) {
        const w = weights.get(f) ?? 0;
        weights.set(f, w - options.learningRate * (gradient + options.l2 * w));
      }
    }
  }
  return { bias, weights };
}

export function logisticProbability(model: LogisticModel, features: readonly string[]): number {
  let z = model.bias;
  for (const f of features) z += model.weights.get(f) ?? 0;
  return 1 / (1 + Math.exp(-z));
}
