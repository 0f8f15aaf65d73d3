import type { ParseWarning } from '@rimuru/sdk';

/**
 * Narrowing of untrusted JSON from Copilot's logs. Hand-written rather than a schema library:
 * it runs for every event line inside the sandbox, where a bundled validator would cost more
 * than the parse itself.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * A token count: a non-negative safe integer, or a numeric string holding one (OTel exporters
 * write int attributes either way). `undefined` for anything else.
 */
export function tokenCount(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** An ISO-8601 time or epoch milliseconds as a normalised ISO string, or `undefined`. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return new Date(ms).toISOString();
}

/** The start of a bad line, for a warning message. */
export function excerpt(line: string, chars = 80): string {
  return line.length <= chars ? line : `${line.slice(0, chars)}…`;
}

/**
 * Calls `each` with every line that contains one of `needles` (the source's pre-filter, applied
 * here too so counts do not depend on the host) and holds a JSON object; a line that does not
 * parse, or is no object, becomes a `corrupt` warning.
 */
export function eachJsonObject(
  lines: readonly string[],
  needles: readonly string[],
  warnings: ParseWarning[],
  each: (value: JsonObject, index: number, line: string) => void,
): void {
  lines.forEach((line, index) => {
    if (!needles.some((needle) => line.includes(needle))) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not JSON: ${excerpt(line)}` });
      return;
    }
    if (!isJsonObject(value)) {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not a JSON object: ${excerpt(line)}` });
      return;
    }
    each(value, index, line);
  });
}
