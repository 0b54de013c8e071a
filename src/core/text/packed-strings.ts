/**
 * Read-only string tables for indexes a serving process keeps for its lifetime. In V8 a string costs a header
 * of 16 to 32 bytes and a Map entry about 40 more: the concept index's names cost several times their text.
 * Here every string lies in one string, with integer offsets.
 */

/** Strings packed into one: the i-th is text.slice(starts[i], starts[i + 1]). */
export class PackedStrings {
  private readonly text: string;
  private readonly starts: Uint32Array;

  constructor(list: readonly string[]) {
    this.text = list.join('');
    this.starts = new Uint32Array(list.length + 1);
    for (let i = 0; i < list.length; i++) this.starts[i + 1] = (this.starts[i] as number) + (list[i] as string).length;
  }

  get length(): number {
    return this.starts.length - 1;
  }

  at(i: number): string {
    return this.text.slice(this.starts[i], this.starts[i + 1]);
  }

  /** Whether the i-th string is `key`, without cutting it out. */
  equals(i: number, key: string): boolean {
    const start = this.starts[i] as number;
    return (this.starts[i + 1] as number) - start === key.length && this.text.startsWith(key, start);
  }
}

/**
 * A map from strings to integers, its keys packed (PackedStrings) and found by open addressing. Its hashing runs
 * in JavaScript: a lookup costs about 40 ns more than a Map's, so it suits tables read behind a cache.
 */
export class PackedStringMap {
  private readonly keys: PackedStrings;
  private readonly values: Int32Array;
  /** Entry index + 1 per slot, 0: empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(entries: ReadonlyMap<string, number>) {
    this.keys = new PackedStrings([...entries.keys()]);
    this.values = Int32Array.from(entries.values());
    let capacity = 16;
    while (capacity < entries.size * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    let entry = 0;
    for (const key of entries.keys()) {
      let slot = hashOf(key) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = ++entry;
    }
  }

  get size(): number {
    return this.values.length;
  }

  get(key: string): number | undefined {
    const entry = this.entryOf(key);
    return entry < 0 ? undefined : this.values[entry];
  }

  /** The key's entry (its place in the order the keys were given), -1 when absent. */
  entryOf(key: string): number {
    for (let slot = hashOf(key) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.keys.equals(entry - 1, key)) return entry - 1;
    }
  }

  keyAt(entry: number): string {
    return this.keys.at(entry);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

/** FNV-1a over UTF-16 code units. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
