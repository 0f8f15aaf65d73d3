import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Client as PgClient } from 'pg';

export type Dialect = 'sqlite' | 'postgres';

/** The dialect a knex instance or transaction talks to. */
export function dialectOf(knex: Knex | Knex.Transaction): Dialect {
  const client: unknown = knex.client.config.client;
  if (client === 'pg' || client === 'postgres' || client === 'postgresql') return 'postgres';
  if (client === 'better-sqlite3') return 'sqlite';
  throw new TypeError(`unsupported knex client ${String(client)}`);
}

export type RawConnection = { dialect: 'sqlite'; connection: BetterSqlite3.Database } | { dialect: 'postgres'; connection: PgClient };

/**
 * The driver connection behind a knex transaction, for the bulk paths that prepare one
 * statement and reuse it (SQLite) or send array parameters (PostgreSQL). Only valid inside the
 * transaction: knex hands the same connection to every query of it and releases it afterwards.
 */
export async function rawConnectionOf(trx: Knex.Transaction): Promise<RawConnection> {
  const connection: unknown = await trx.client.acquireConnection();
  const dialect = dialectOf(trx);
  return dialect === 'sqlite'
    ? { dialect, connection: connection as BetterSqlite3.Database }
    : { dialect, connection: connection as PgClient };
}
