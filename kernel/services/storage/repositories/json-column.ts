import type { Logger } from 'pino';
import type { z } from 'zod';

export interface JsonColumnSource {
  table: string;
  column: string;
  id: unknown;
}

/**
 * A JSON column read back through its schema. A value that is not JSON or not of the expected
 * shape (hand-edited, written by an older or foreign writer) must not break a listing: the
 * row is returned with `fallback` in its place and the problem is logged with the row's id.
 */
export function readJsonColumn<T>(text: unknown, schema: z.ZodType<T>, fallback: T, source: JsonColumnSource, logger?: Logger): T {
  if (text === null || text === undefined) return fallback;
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : text;
  } catch (error) {
    logger?.warn({ ...source, error: (error as Error).message }, 'storage: a JSON column is not valid JSON; using its default');
    return fallback;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    logger?.warn({ ...source, error: result.error.issues[0]?.message }, 'storage: a JSON column has an unexpected shape; using its default');
    return fallback;
  }
  return result.data;
}
