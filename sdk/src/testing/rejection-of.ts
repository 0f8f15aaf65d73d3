import { RimuruError } from '../../../kernel/core/errors';

/**
 * Awaits a call that should fail and returns its `RimuruError`, so a test can assert on the
 * code and message. Throws when the call succeeds or fails with anything else, saying which.
 *
 * @example
 * const error = await rejectionOf(run.plugin.invoke('readSecret'));
 * expect(error.code).toBe('E2004');
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<RimuruError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RimuruError) return error;
    throw new Error(`expected a RimuruError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}
