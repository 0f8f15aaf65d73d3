import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import { Database } from '../database/database';
import { rawConnectionOf } from '../database/raw-connection';
import { toStorageError } from '../database/to-storage-error';
import { knexOf, targetDialect, type QueryTarget } from '../repositories/query-target';
import { numberOf, rawRows } from '../repositories/row-values';

/**
 * Maintenance of `usage_rollups` (see migration 0002): quarter-hour sums of usage records
 * kept as additive deltas. Reads are always exact without this — it only keeps them fast.
 */

/** A rollup bucket: one UTC quarter hour. */
export const ROLLUP_BUCKET_MS = 900_000;

/** SQLite: usage records with an id up to this are already in `usage_rollups`. */
export const SQLITE_FOLDED_UP_TO = 'coalesce((select last_record_id from usage_rollup_state where id = 1), 0)';

const SUMMED = ['input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_read_tokens', 'reasoning_tokens', 'cost_usd'] as const;
const COLUMNS = `bucket, agent_type, model, record_count, ${SUMMED.join(', ')}`;
const MERGED_SUMS = `sum(record_count), ${SUMMED.map((column) => `sum(${column})`).join(', ')}`;
// A key whose deltas cancel out (its records were deleted) disappears when merged.
const NOT_ALL_ZERO = `sum(record_count) <> 0 or ${SUMMED.map((column) => `sum(${column}) <> 0`).join(' or ')}`;
// Rollup rows added since the last compaction: how many, and the buckets they span.
const NEW_ROWS = 'select count(*) as n, min(bucket) as first, max(bucket) as last from usage_rollups where id > ?';

/** What a refresh did. */
export interface RollupRefresh {
  /** SQLite: usage records folded into the rollups (0 on PostgreSQL, where triggers do it). */
  folded: number;
  /** Width, in buckets, of the span whose deltas were merged into one row per key (0: none needed). */
  compactedBuckets: number;
  /** PostgreSQL: another kernel was compacting, so this one did not. */
  skipped: boolean;
}

/** Records not yet folded in (SQLite) or rollup rows added since the last compaction: a cheap estimate of how much a refresh would do. */
export async function rollupBacklog(target: QueryTarget): Promise<number> {
  const knex = knexOf(target);
  const sql =
    targetDialect(target) === 'sqlite'
      ? `select coalesce((select max(id) from usage_records), 0) - ${SQLITE_FOLDED_UP_TO} as backlog`
      : 'select coalesce((select max(id) from usage_rollups), 0) - coalesce((select compacted_rollup_id from usage_rollup_state where id = 1), 0) as backlog';
  try {
    return numberOf(rawRows(await knex.raw(sql))[0]?.backlog);
  } catch (error) {
    throw toStorageError(error, { operation: 'measuring the usage rollup backlog', sql });
  }
}

/**
 * Folds new usage records into the rollups (SQLite) and merges fragmented buckets (both).
 * Safe to call any time and from several kernels: SQLite runs it under the write lock;
 * PostgreSQL compacts under an advisory lock (a second caller skips) and only ever deletes
 * deltas it re-adds in the same statement, so concurrent writers are neither blocked nor lost.
 */
export async function refreshUsageRollups(target: QueryTarget): Promise<RollupRefresh> {
  try {
    return targetDialect(target) === 'sqlite' ? await refreshSqlite(target) : await refreshPostgres(target);
  } catch (error) {
    throw toStorageError(error, { operation: 'refreshing the usage rollups' });
  }
}

// ---- SQLite: synchronous, in one immediate transaction (or a savepoint of the caller's). ----

async function refreshSqlite(target: QueryTarget): Promise<RollupRefresh> {
  if (target instanceof Database) {
    const connection = (await target.knex.client.acquireConnection()) as BetterSqlite3.Database;
    try {
      return connection.transaction(() => refreshSqliteNow(connection)).immediate();
    } finally {
      await target.knex.client.releaseConnection(connection);
    }
  }
  const raw = await rawConnectionOf(target);
  if (raw.dialect !== 'sqlite') throw new TypeError('expected a SQLite connection');
  return raw.connection.transaction(() => refreshSqliteNow(raw.connection))();
}

function refreshSqliteNow(connection: BetterSqlite3.Database): RollupRefresh {
  connection.prepare('insert into usage_rollup_state (id, last_record_id, compacted_rollup_id) values (1, 0, 0) on conflict (id) do nothing').run();
  const state = connection.prepare('select last_record_id as folded, compacted_rollup_id as compacted from usage_rollup_state where id = 1').get() as {
    folded: number;
    compacted: number;
  };
  const newest = (connection.prepare('select coalesce(max(id), 0) as id from usage_records').get() as { id: number }).id;
  let folded = 0;
  if (newest > state.folded) {
    folded = connection
      .prepare(
        `insert into usage_rollups (${COLUMNS}) select recorded_at / ${ROLLUP_BUCKET_MS}, agent_type, model, count(*), ` +
          `${SUMMED.map((column) => `sum(${column})`).join(', ')} from usage_records where id > ? and id <= ? ` +
          `group by recorded_at / ${ROLLUP_BUCKET_MS}, agent_type, model`,
      )
      .run(state.folded, newest).changes;
    connection.prepare('update usage_rollup_state set last_record_id = ? where id = 1').run(newest);
  }
  const added = connection.prepare(NEW_ROWS).get(state.compacted) as { n: number; first: number | null; last: number | null };
  let compactedBuckets = 0;
  // A fold adds one row per key; it needs merging only where the span already had rows (or
  // update/delete triggers added deltas beside it).
  if (added.first !== null && added.last !== null) {
    const older = connection.prepare('select count(*) as n from usage_rollups where bucket between ? and ? and id <= ?').get(added.first, added.last, state.compacted) as { n: number };
    if (older.n > 0 || added.n > folded) {
      const before = (connection.prepare('select coalesce(max(id), 0) as id from usage_rollups').get() as { id: number }).id;
      connection
        .prepare(
          `insert into usage_rollups (${COLUMNS}) select bucket, agent_type, model, ${MERGED_SUMS} from usage_rollups ` +
            `where bucket between ? and ? group by bucket, agent_type, model having ${NOT_ALL_ZERO}`,
        )
        .run(added.first, added.last);
      connection.prepare('delete from usage_rollups where id <= ? and bucket between ? and ?').run(before, added.first, added.last);
      compactedBuckets = added.last - added.first + 1;
    }
  }
  connection.prepare('update usage_rollup_state set compacted_rollup_id = (select coalesce(max(id), 0) from usage_rollups) where id = 1').run();
  return { folded, compactedBuckets, skipped: false };
}

// ---- PostgreSQL: triggers keep the rollups current; only compaction is left. ----

async function refreshPostgres(target: QueryTarget): Promise<RollupRefresh> {
  const run = async (trx: Knex.Transaction): Promise<RollupRefresh> => {
    const [lock] = rawRows(await trx.raw(`select pg_try_advisory_xact_lock(hashtext(current_schema() || '.usage_rollups')) as locked`));
    if (lock?.locked !== true) return { folded: 0, compactedBuckets: 0, skipped: true };
    const [state] = rawRows(await trx.raw('select coalesce((select compacted_rollup_id from usage_rollup_state where id = 1), 0) as compacted'));
    const [added] = rawRows(await trx.raw(NEW_ROWS, [numberOf(state?.compacted)]));
    const first = added?.first;
    const last = added?.last;
    let compactedBuckets = 0;
    if (first !== null && first !== undefined && last !== null && last !== undefined) {
      // One statement: the deltas deleted are exactly those summed, whatever commits meanwhile.
      await trx.raw(
        `with moved as (delete from usage_rollups where bucket between ? and ? returning ${COLUMNS}) ` +
          `insert into usage_rollups (${COLUMNS}) select bucket, agent_type, model, ${MERGED_SUMS} from moved ` +
          `group by bucket, agent_type, model having ${NOT_ALL_ZERO}`,
        [numberOf(first), numberOf(last)],
      );
      compactedBuckets = numberOf(last) - numberOf(first) + 1;
    }
    await trx.raw(
      'insert into usage_rollup_state (id, last_record_id, compacted_rollup_id) select 1, 0, coalesce(max(id), 0) from usage_rollups ' +
        'on conflict (id) do update set compacted_rollup_id = excluded.compacted_rollup_id',
    );
    return { folded: 0, compactedBuckets, skipped: false };
  };
  return target instanceof Database ? target.knex.transaction(run) : target.transaction(run);
}
