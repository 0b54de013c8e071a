/**
 * Whether a string can be stored in PostgreSQL as it is. Two kinds of UTF-16 content cannot:
 * - NUL (U+0000): text columns reject it, and jsonb rejects its escape `\u0000`;
 * - an unpaired surrogate (U+D800–U+DFFF without its other half): jsonb rejects its escape, and a text
 *   column would hold U+FFFD in its place (the driver encodes UTF-8), not the text that was sent.
 * Everything that stores text a caller sent (notes, ids, reviews, corrections) checks it here first.
 */
export interface UnstorableCharacter {
  kind: 'nul' | 'unpaired-surrogate';
  /** UTF-16 offset of the character in the string. */
  offset: number;
}

// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const NUL_OR_SURROGATE = /[\u0000\ud800-\udfff]/;

/** The first character of `value` PostgreSQL cannot store, or null when there is none. */
export function findUnstorable(value: string): UnstorableCharacter | null {
  // The common case (no NUL, no surrogate at all) is one native scan.
  const first = value.search(NUL_OR_SURROGATE);
  if (first < 0) return null;
  for (let i = first; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) return { kind: 'nul', offset: i };
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = value.charCodeAt(i + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i += 1;
      continue;
    }
    return { kind: 'unpaired-surrogate', offset: i };
  }
  return null;
}

/** "text has a NUL character (U+0000) at offset 6, which cannot be stored": names the field, never quotes it. */
export function describeUnstorable(field: string, found: UnstorableCharacter): string {
  const what = found.kind === 'nul' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate';
  return `${field} has ${what} at offset ${found.offset}, which cannot be stored`;
}

/** `value` with every character PostgreSQL cannot store replaced by U+FFFD (same length, same offsets). */
export function withUnstorableReplaced(value: string): string {
  if (findUnstorable(value) === null) return value;
  let replaced = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      replaced += value.slice(i, i + 2);
      i += 1;
    } else {
      replaced += code === 0 || (code >= 0xd800 && code <= 0xdfff) ? '\uFFFD' : (value[i] as string);
    }
  }
  return replaced;
}
