import type { PackedStringMap, PackedStrings } from '../text/packed-strings.js';

/**
 * The weights of several linear models over one set of features (the models of one resource file: the
 * relevance classifiers, the kind classifiers, the router's domains), as read-only maps. The features are
 * held once for all the models, packed in one string with their ids (PackedStringMap); each model holds typed
 * arrays, where a Map per model held a table, a string per feature and a number object per weight of its own.
 */
export class SharedFeatureWeights implements ReadonlyMap<string, number> {
  /** Per feature id, its place in `order` (-1: the model has no weight for it). */
  private readonly position: Int32Array;

  /**
   * `ids`: feature → id, shared by the models; `features`: id → feature; `order`: the ids of this model's
   * features in its order, `weights` their weights.
   */
  constructor(
    private readonly ids: PackedStringMap,
    private readonly features: PackedStrings,
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
    return Array.from(this.order, (id) => this.features.at(id)).values();
  }

  values(): MapIterator<number> {
    return Array.from(this.weights).values();
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  private pairs(): [string, number][] {
    return Array.from(this.order, (id, at) => [this.features.at(id), this.weights[at] as number]);
  }
}
