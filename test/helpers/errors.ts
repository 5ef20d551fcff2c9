import { expect } from 'vitest';
import { RehearseError } from '../../src/core/errors.ts';

/** The error a promise rejects with (fails the test if it resolves or rejects with something else). */
export async function rejection(p: Promise<unknown>): Promise<RehearseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RehearseError);
  return err as RehearseError;
}
