import { expect } from 'vitest';
import { isNerError, type ErrorCode } from '../../src/errors.js';

/** Asserts that fn throws a NerError with this code. */
export function expectNerError(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isNerError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}
