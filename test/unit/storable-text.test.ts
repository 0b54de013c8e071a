import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeUnstorable, findUnstorable, withUnstorableReplaced } from '../../src/core/text/storable-text.js';

/** What PostgreSQL would get back: NUL is refused, and UTF-8 encoding turns an unpaired surrogate into U+FFFD. */
const roundTrips = (value: string): boolean => !value.includes('\u0000') && Buffer.from(value, 'utf8').toString('utf8') === value;

describe('findUnstorable', () => {
  it('finds the first NUL or unpaired surrogate, with its UTF-16 offset', () => {
    expect(findUnstorable('asthma treated with salbutamol')).toBeNull();
    expect(findUnstorable('')).toBeNull();
    expect(findUnstorable('fever 😀 and 𝔸 in pairs')).toBeNull();
    expect(findUnstorable('asthma\u0000')).toEqual({ kind: 'nul', offset: 6 });
    expect(findUnstorable('abc\ud83d')).toEqual({ kind: 'unpaired-surrogate', offset: 3 });
    expect(findUnstorable('abc\ude00def')).toEqual({ kind: 'unpaired-surrogate', offset: 3 });
    expect(findUnstorable('😀\ude00😀')).toEqual({ kind: 'unpaired-surrogate', offset: 2 });
    expect(findUnstorable('\ud83d\ud83d\ude00')).toEqual({ kind: 'unpaired-surrogate', offset: 0 });
    expect(findUnstorable('😀x\u0000\ud800')).toEqual({ kind: 'nul', offset: 3 });
  });

  it('agrees with what survives a trip to PostgreSQL, on any UTF-16 string', () => {
    const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 });
    const spiced = fc.array(fc.oneof(utf16, fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'a')), { maxLength: 6 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(utf16, spiced), (value) => {
        const found = findUnstorable(value);
        expect(found === null).toBe(roundTrips(value));
        if (found) {
          expect(roundTrips(value.slice(0, found.offset))).toBe(true);
          expect(found.kind === 'nul').toBe(value[found.offset] === '\u0000');
        }
      }),
    );
  });
});

describe('describeUnstorable', () => {
  it('names the field, the character and the offset, never the value', () => {
    expect(describeUnstorable('text', { kind: 'nul', offset: 6 })).toBe('text has a NUL character (U+0000) at offset 6, which cannot be stored');
    expect(describeUnstorable('id', { kind: 'unpaired-surrogate', offset: 3 })).toBe('id has an unpaired UTF-16 surrogate at offset 3, which cannot be stored');
  });
});

describe('withUnstorableReplaced', () => {
  it('replaces each such character by U+FFFD, keeping length, offsets and surrogate pairs', () => {
    expect(withUnstorableReplaced('fine')).toBe('fine');
    expect(withUnstorableReplaced('a\u0000b\ud800c😀\udfff')).toBe('a\ufffdb\ufffdc😀\ufffd');
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 }), (value) => {
        const replaced = withUnstorableReplaced(value);
        expect(replaced).toHaveLength(value.length);
        expect(findUnstorable(replaced)).toBeNull();
      }),
    );
  });
});
