import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PackedStringMap, PackedStrings } from '../../src/core/text/packed-strings.js';
import { SharedFeatureWeights } from '../../src/core/tagger/shared-feature-weights.js';

describe('packed string tables', () => {
  it('answer as the Map they were built from, for keys in it and not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 200 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 50 }), (keys, probes) => {
        const map = new Map(keys.map((key, i) => [key, i * 7 - 3]));
        const packed = new PackedStringMap(map);
        expect(packed.size).toBe(map.size);
        for (const key of [...keys, ...probes]) {
          expect(packed.get(key)).toBe(map.get(key));
          expect(packed.has(key)).toBe(map.has(key));
        }
        keys.forEach((key, i) => {
          expect(packed.entryOf(key)).toBe(i);
          expect(packed.keyAt(i)).toBe(key);
        });
      }),
    );
  });

  it('cut out each string as it was given, non-Latin text and empty strings included', () => {
    const list = ['', 'asthma', 'Sjögren syndrome', '', 'β-blocker', 'a'.repeat(40)];
    const packed = new PackedStrings(list);
    expect(packed.length).toBe(list.length);
    list.forEach((text, i) => {
      expect(packed.at(i)).toBe(text);
      expect(packed.equals(i, text)).toBe(true);
      expect(packed.equals(i, `${text}x`)).toBe(false);
    });
  });
});

describe('shared feature weights', () => {
  it("read as each model's own Map: weights, absent features, size and order", () => {
    const features = ['u:fever', 'u:cough', 'b:no|fever', 'u:rash'];
    const ids = new Map(features.map((f, i) => [f, i]));
    const second = new Map([['u:rash', -0.5], ['u:fever', 0.25]]);
    const weights = new SharedFeatureWeights(ids, features, Int32Array.from([3, 0]), Float64Array.from([-0.5, 0.25]));
    expect(weights.get('u:fever')).toBe(0.25);
    expect(weights.get('u:cough')).toBeUndefined();
    expect(weights.get('u:unknown')).toBeUndefined();
    expect(weights.has('u:rash')).toBe(true);
    expect(weights.has('u:cough')).toBe(false);
    expect(weights.size).toBe(2);
    expect([...weights]).toEqual([...second]);
    expect([...weights.keys()]).toEqual([...second.keys()]);
    expect([...weights.values()]).toEqual([...second.values()]);
  });
});
