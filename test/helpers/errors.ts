import { expect } from '@jest/globals';
import { BadUserInputError } from '../../src/errors';

/** Runs `fn`, expects a BadUserInputError and returns it for further assertions. */
export function badInput(fn: () => unknown): BadUserInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    const bad = error as BadUserInputError;
    expect(bad.extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.extensions.field).toBe(bad.field);
    return bad;
  }
  throw new Error('expected a BadUserInputError, but nothing was thrown');
}
