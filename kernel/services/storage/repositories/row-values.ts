/**
 * Column values as the drivers return them, read as numbers. The store's pg type parsers
 * already turn `bigint`/`numeric` into numbers, but a repository may be handed any knex
 * instance, and an aggregate of zero rows is `null`.
 */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  return 0;
}

export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : numberOf(value);
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The rows of a `knex.raw` result: an array on SQLite, `{ rows }` on PostgreSQL. */
export function rawRows(result: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(result)) return result as Array<Record<string, unknown>>;
  const rows = (result as { rows?: unknown } | null)?.rows;
  return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
}
