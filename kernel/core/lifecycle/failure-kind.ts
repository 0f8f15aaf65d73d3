import { ErrorCodes, isRimuruError, type ErrorCode } from '../errors';

/**
 * How a plugin failure is filed. Breaking a resource limit quarantines the plugin (it was
 * contained, and may misbehave again); anything else that kills it is an error. Only failures
 * a restart could cure are retried: a missing or malformed bundle stays down until rebuilt.
 */
const LIMIT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.SANDBOX_MEMORY_LIMIT,
  ErrorCodes.SANDBOX_CPU_TIMEOUT,
  ErrorCodes.SANDBOX_WALL_TIMEOUT,
  ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
]);

const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCodes.SANDBOX_BAD_BUNDLE,
  ErrorCodes.MANIFEST_INVALID,
]);

export interface FailureVerdict {
  state: 'quarantined' | 'errored';
  code?: ErrorCode;
  retry: boolean;
}

export function classifyFailure(error: unknown): FailureVerdict {
  if (!isRimuruError(error)) return { state: 'errored', retry: true };
  if (LIMIT_CODES.has(error.code)) return { state: 'quarantined', code: error.code, retry: true };
  return { state: 'errored', code: error.code, retry: !PERMANENT_CODES.has(error.code) };
}
