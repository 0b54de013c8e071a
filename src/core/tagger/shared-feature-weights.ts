/**
 * The weights of several linear models over one set of features (the models of one resource file: the
 * relevance classifiers, the kind classifiers, the router's domains), as read-only maps. The feature strings
 * and their map are held once for all the models; each model holds typed arrays, where a Map per model held a
 * table, and a number object per weight, of its own.
 */
export class SharedFeatureWeights implements ReadonlyMap<string, number> {
  /** Per feature id, its place in `order` (-1: the model has no weight for it). */
  private readonly position: Int32Array;

  /**
   * `ids`: feature → id, shared by the models; `features`: id → feature; `order`: the ids of this model's
   * features in its order, `weights` their weights.
   */
  constructor(
    private readonly ids: ReadonlyMap<string, number>,
    private readonly features: readonly string[],
    private readonly order: Int32Array,
    private readonly weights: Float64Array,
  ) {
    this.position = new Int32Array(features.length).fill(-1);
    order.forEach((id, at) => (this.position[id] = at));
  }

  get size(): number {
    return this.order.length;
  }

  get(feature: string): number | undefined {
    const id = this.ids.get(feature);
    if (id === undefined) return undefined;
    const at = this.position[id] as number;
    return at < 0 ? undefined : this.weights[at];
  }

  has(feature: string): boolean {
    const id = this.ids.get(feature);
    return id !== undefined && (this.position[id] as number) >= 0;
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void, thisArg?: unknown): void {
    for (const [feature, weight] of this.pairs()) callback.call(thisArg, weight, feature, this);
  }

  entries(): MapIterator<[string, number]> {
    return this.pairs().values();
  }

  keys(): MapIterator<string> {
    return Array.from(this.order, (id) => this.features[id] as string).values();
  }

  values(): MapIterator<number> {
    return Array.from(this.weights).values();
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  private pairs(): [string, number][] {
    return Array.from(this.order, (id, at) => [this.features[id] as string, this.weights[at] as number]);
  }
}
