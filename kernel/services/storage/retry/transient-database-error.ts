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

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  // StorageError wraps the driver error as `cause`: look through the chain.
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) codes.push(...codesOf(inner));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string') messages.push(message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages;
}

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
