import { trimmedString } from '@rimuru/sdk';

/** Copilot's JSON fields: the SDK's readers, its strings read trimmed and its counts as below. */
export { eachJsonObject, excerpt, isJsonObject, isoTime, type JsonObject } from '@rimuru/sdk';

export const nonEmptyString = trimmedString;

/**
 * A token count: a non-negative safe integer, or a numeric string holding one (OTel exporters
 * write int attributes either way). `undefined` for anything else.
 */
export function tokenCount(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}
