import type { types as PgTypes } from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * pg returns `bigint` and `numeric` as strings because they can exceed 2^53. Our bigints are
 * epoch milliseconds and token counts and our numerics are `count(*)`/`sum(...)` results, all
 * far below that, so they are read as numbers — the same as SQLite returns them. Scoped to our
 * pool's clients: the global `pg.types` stays untouched for anyone else in the process.
 */
export const PG_TYPES = {
  getTypeParser(oid: number, format: string): (value: string) => unknown {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary') return (value: string) => Number(value);
    // Required here, not at the top: pg is only loaded by a kernel that talks to PostgreSQL.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { types } = require('pg') as { types: typeof PgTypes };
    return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
  },
};
