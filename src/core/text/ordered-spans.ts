/**
 * Index of the first of `items` (in text order, none overlapping) that ends after `offset`; `items.length` when
 * none does. Binary search: a scan per lookup made long notes quadratic (a note of thousands of headers or tokens).
 */
export function firstEndingAfter(items: readonly { end: number }[], offset: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid] as { end: number }).end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
