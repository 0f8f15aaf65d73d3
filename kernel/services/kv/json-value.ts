import { ErrorCodes, StorageError } from '../../core/errors';

/**
 * Throws unless `value` survives a JSON round trip unchanged. `JSON.stringify` alone would
 * quietly turn `NaN` into `null`, drop `undefined` members and flatten a `Date` or `Map`; a
 * store that hands back something other than what was set hides bugs, so it refuses instead.
 */
export function assertJsonValue(value: unknown, where: string, seen: Set<object> = new Set()): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
    throw invalid(where, `${String(value)} is not a JSON number`);
  }
  if (typeof value !== 'object') throw invalid(where, `a ${typeof value} is not JSON`);
  if (seen.has(value)) throw invalid(where, 'it contains a cycle');
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertJsonValue(item, `${where}[${index}]`, seen));
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw invalid(where, 'only plain objects are JSON');
    for (const [key, item] of Object.entries(value)) assertJsonValue(item, `${where}.${key}`, seen);
  }
  seen.delete(value);
}

function invalid(where: string, reason: string): StorageError {
  return new StorageError(ErrorCodes.KV_INVALID_VALUE, `kv value at ${where} cannot be stored: ${reason}`, {
    details: { where },
  });
}
