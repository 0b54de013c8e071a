import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntPairMap } from '../../src/core/tagger/int-pair-map.js';

describe('IntPairMap', () => {
  it('agrees with a Map on any sequence of sets and gets, across growth and clears', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), a: fc.nat(50), b: fc.nat(50), value: fc.integer({ min: -1, max: 1e6 }) }),
      fc.record({ kind: fc.constant('get' as const), a: fc.nat(50), b: fc.nat(50) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const map = new IntPairMap(2);
        const reference = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.a, o.b, o.value);
            reference.set(`${o.a},${o.b}`, o.value);
          } else if (o.kind === 'get') {
            expect(map.get(o.a, o.b, -7)).toBe(reference.get(`${o.a},${o.b}`) ?? -7);
          } else {
            map.clear();
            reference.clear();
          }
          expect(map.size).toBe(reference.size);
        }
      }),
    );
  });

  it('keeps 100,000 pairs with large keys apart', () => {
    const map = new IntPairMap();
    for (let i = 0; i < 100_000; i++) map.set(i * 7919, 2_000_000 - i, i);
    for (let i = 0; i < 100_000; i++) expect(map.get(i * 7919, 2_000_000 - i, -1)).toBe(i);
    expect(map.get(7919, 2_000_000, -1)).toBe(-1);
  });

  it('refuses keys it cannot store', () => {
    expect(() => new IntPairMap().set(-1, 0, 0)).toThrow(RangeError);
    expect(() => new IntPairMap().set(0, -1, 0)).toThrow(RangeError);
  });
});
