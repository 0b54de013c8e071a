/**
 * A map from a pair of non-negative int32 keys to an int32 value, open addressing over one Int32Array.
 * The encoder looks up an attribute id per token and pair template; a Map per first word cost several
 * dependent loads (its table, its entry, the entry's key) where this costs about one.
 */
export class IntPairMap {
  /** Per entry: first key + 1 (0: empty), second key, value. */
  private table: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.table = new Int32Array(capacity * 3);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored for (a, b), or `missing`. */
  get(a: number, b: number, missing: number): number {
    const table = this.table;
    let index = slotOf(a, b) & this.mask;
    for (;;) {
      const at = index * 3;
      const stored = table[at] as number;
      if (stored === 0) return missing;
      if (stored === a + 1 && table[at + 1] === b) return table[at + 2] as number;
      index = (index + 1) & this.mask;
    }
  }

  set(a: number, b: number, value: number): void {
    if (a < 0 || b < 0 || a >= 0x7fffffff) throw new RangeError(`IntPairMap keys must be non-negative int32: ${a}, ${b}`);
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.insert(a, b, value);
  }

  clear(): void {
    this.table.fill(0);
    this.count = 0;
  }

  private insert(a: number, b: number, value: number): void {
    const table = this.table;
    let index = slotOf(a, b) & this.mask;
    for (;;) {
      const at = index * 3;
      const stored = table[at] as number;
      if (stored === 0) {
        table[at] = a + 1;
        table[at + 1] = b;
        table[at + 2] = value;
        this.count++;
        return;
      }
      if (stored === a + 1 && table[at + 1] === b) {
        table[at + 2] = value;
        return;
      }
      index = (index + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = (this.mask + 1) * 2 - 1;
    this.count = 0;
    for (let at = 0; at < old.length; at += 3) {
      if (old[at] !== 0) this.insert((old[at] as number) - 1, old[at + 1] as number, old[at + 2] as number);
    }
  }
}

function slotOf(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
