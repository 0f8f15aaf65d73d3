/**
 * Narrowing of untrusted JSON values from agent logs, for adapters. Hand-written rather than a
 * schema library: it runs for every line of years of transcripts inside the sandbox, and a
 * bundled validator would cost more than the parse itself.
 */

import type { ParseWarning } from './kinds/adapter';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** {@link nonEmptyString}, trimmed. */
export function trimmedString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The start of a bad line, for a warning message. */
export function excerpt(line: string, chars = 80): string {
  return line.length <= chars ? line : `${line.slice(0, chars)}…`;
}

/**
 * Calls `each` with every line that contains one of `needles` (the source's pre-filter, applied
 * here too so counts do not depend on the host; `null`: every line) and holds a JSON object; a
 * line that does not parse, or is no object, becomes a `corrupt` warning quoting it with `quote`.
 */
export function eachJsonObject(
  lines: readonly string[],
  needles: readonly string[] | null,
  warnings: ParseWarning[],
  each: (value: JsonObject, index: number, line: string) => void,
  quote: (line: string) => string = excerpt,
): void {
  lines.forEach((line, index) => {
    if (needles !== null && !needles.some((needle) => line.includes(needle))) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not JSON: ${quote(line)}` });
      return;
    }
    if (!isJsonObject(value)) {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not a JSON object: ${quote(line)}` });
      return;
    }
    each(value, index, line);
  });
}

/** A token count: a non-negative safe integer. `undefined` for anything else. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** An ISO-8601 time (or epoch milliseconds) as a normalised ISO string, or `undefined`. */
export function isoTime(value: unknown): string | undefined {
  // Nearly every line carries its time already normalised: kept as it is, it costs no Date.
  if (typeof value === 'string' && isNormalisedIsoTime(value)) return value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return new Date(ms).toISOString();
}


const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * True when `text` is exactly what `new Date(Date.parse(text)).toISOString()` gives back
 * (`YYYY-MM-DDTHH:MM:SS.sssZ`, a real calendar date and time, not before 1970): checked by its
 * characters, without building a Date. Anything else goes the long way.
 */
export function isNormalisedIsoTime(text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return false;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.') return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return false;
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  return hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60 && digits(text, 20, 3) >= 0;
}
