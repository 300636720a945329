// The bad-input tests' one check: the OTError a call throws (a test failure when it throws anything else,
// or nothing), and its code and message.
import { expect } from 'vitest';
import * as ot from '../../lib/index.js';

export function thrownOTError(fn: () => unknown): ot.OTError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ot.OTError);
    return e as ot.OTError;
  }
  return expect.fail('expected an OTError, but nothing was thrown');
}

/** fn() throws an OTError with `code`, and a message matching `message` when given. */
export function expectOTError(fn: () => unknown, code: string, message?: RegExp): void {
  const e = thrownOTError(fn);
  expect(e.code).toBe(code);
  if (message) expect(e.message).toMatch(message);
}
