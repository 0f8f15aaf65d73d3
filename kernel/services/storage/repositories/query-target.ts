import type { Knex } from 'knex';
import { Database } from '../database/database';
import { dialectOf, type Dialect } from '../database/raw-connection';

/**
 * Where a repository runs its queries: the store itself, or a transaction of it (from
 * `Database.transaction`) so that several writes commit together.
 */
export type QueryTarget = Database | Knex.Transaction;

export function knexOf(target: QueryTarget): Knex {
  return target instanceof Database ? target.knex : target;
}

export function targetDialect(target: QueryTarget): Dialect {
  return target instanceof Database ? target.dialect : dialectOf(target);
}
