/**
 * Failures that a retry of the same statement can fix: the server or the network hiccuped,
 * or another writer won a race. Everything else (syntax, constraint, type errors) fails the
 * same way again and is not retried.
 */

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now; 40001 serialization
// failure, 40P01 deadlock; 53300 too many connections.
const TRANSIENT_PG_CODES = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '53300']);
const TRANSIENT_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED)/;
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /Timeout acquiring a connection/i,
  /timeout expired/i,
  /Client has encountered a connection error/i,
];

// StorageError wraps the driver error as `cause`, and Node's happy-eyeballs connect throws an
// AggregateError: look through both.
function errorChain(error: unknown, depth = 0): object[] {
  if (depth > 5 || error === null || typeof error !== 'object') return [];
  const inner = (error as { errors?: unknown }).errors;
  const nested = Array.isArray(inner) ? inner.flatMap((item: unknown) => errorChain(item, depth + 1)) : [];
  return [error, ...nested, ...errorChain((error as { cause?: unknown }).cause, depth + 1)];
}

function stringsAt(error: unknown, key: 'code' | 'message'): string[] {
  return errorChain(error)
    .map((item) => (item as Record<string, unknown>)[key])
    .filter((value): value is string => typeof value === 'string');
}

const codesOf = (error: unknown): string[] => stringsAt(error, 'code');
const messagesOf = (error: unknown): string[] => stringsAt(error, 'message');

/** True for failures where the connection itself was refused, lost or never came. */
export function isConnectionFailure(error: unknown): boolean {
  const codes = codesOf(error);
  if (codes.some((code) => TRANSIENT_NODE_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code))) return true;
  if (codes.some((code) => code === 'ENOTFOUND' || code === '28P01' || code === '28000' || code === '3D000')) return true;
  return messagesOf(error).some((message) => TRANSIENT_MESSAGES.some((pattern) => pattern.test(message)));
}

/** True when running the same database work again may succeed. */
export function isTransientDatabaseError(error: unknown): boolean {
  const codes = codesOf(error);
  if (
    codes.some(
      (code) =>
        TRANSIENT_NODE_CODES.has(code) ||
        TRANSIENT_PG_CODES.has(code) ||
        code.startsWith('08') ||
        TRANSIENT_SQLITE_CODES.test(code),
    )
  ) {
    return true;
  }
  return messagesOf(error).some((message) => TRANSIENT_MESSAGES.some((pattern) => pattern.test(message)));
}
