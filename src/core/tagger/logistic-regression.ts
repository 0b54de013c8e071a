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
  const model = { bias: 0, weights: new Map<string, number>() };
  forEachInSeededEpochs(items, options.epochs, options.seed, (item) => {
    sgdStep(model, item.features, 1 / (1 + Math.exp(-logit(model, item.features))) - item.y, options);
  });
  return model;
}

/** Visits the items once per epoch, each epoch in a fresh order drawn from `seed` (SGD's order). */
export function forEachInSeededEpochs<T>(items: readonly T[], epochs: number, seed: number, visit: (item: T) => void): void {
  const random = mulberry32(seed);
  const order = items.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) visit(items[index] as T);
  }
}

/** One SGD step with L2 on the bias and the weights of the features present, for a loss gradient at the logit. */
export function sgdStep(model: { bias: number; weights: Map<string, number> }, features: readonly string[], gradient: number, options: Pick<LogisticOptions, 'learningRate' | 'l2'>): void {
  model.bias -= options.learningRate * gradient;
  for (const f of features) {
    const w = model.weights.get(f) ?? 0;
    model.weights.set(f, w - options.learningRate * (gradient + options.l2 * w));
  }
}

/** bias + the weights of the features present. */
export function logit(model: LogisticModel, features: readonly string[]): number {
  let z = model.bias;
  for (const f of features) z += model.weights.get(f) ?? 0;
  return z;
}

export function logisticProbability(model: LogisticModel, features: readonly string[]): number {
  return 1 / (1 + Math.exp(-logit(model, features)));
}
