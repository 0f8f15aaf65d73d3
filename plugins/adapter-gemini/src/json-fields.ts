/**
 * Narrowing of untrusted JSON from Gemini CLI's chat recordings. Hand-written rather than a
 * schema library: it runs for every recorded message inside the sandbox, where a bundled
 * validator would cost more than the parse itself.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A token count: a non-negative safe integer. `undefined` for anything else. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
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
