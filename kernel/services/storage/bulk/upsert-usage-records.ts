import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Client as PgClient } from 'pg';
import { ErrorCodes, RimuruError, StorageError } from '../../../core/errors';
import { Database } from '../database/database';
import { dialectOf, rawConnectionOf } from '../database/raw-connection';
import { toStorageError } from '../database/to-storage-error';
import { retryAsync } from '../retry/retry-async';
import { tokenTotal, toUsageRows, type UsageRecordInput, type UsageRow } from './usage-record-input';

/**
 * What to do when a record's `dedupKey` is already stored.
 * - `ignore`: keep the stored row (re-ingesting the same data changes nothing).
 * - `keep-larger`: replace it when the new record's token total (input + output + cache write +
 *   cache read) is larger: Claude logs one streamed message several times with growing output.
 */
export type UsageConflictPolicy = 'ignore' | 'keep-larger';

export interface UpsertUsageOptions {
  conflict?: UsageConflictPolicy;
}

export interface UpsertUsageResult {
  inserted: number;
  updated: number;
  /** Records that changed nothing: already stored, not larger, or beaten by a duplicate in the same call. */
  unchanged: number;
}

/** The columns an upsert writes, in the order of its statements' values. */
export const USAGE_RECORD_COLUMNS = [
  'dedup_key',
  'session_id',
  'agent_type',
  'model',
  'provider',
  'input_tokens',
  'output_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'cache_read_tokens',
  'reasoning_tokens',
  'cost_usd',
  'cost_source',
  'recorded_at',
  'flags',
] as const;

// Everything but the key is replaced when keep-larger wins.
const UPDATED_COLUMNS = USAGE_RECORD_COLUMNS.filter((column) => column !== 'dedup_key');
const TOTAL_OF = (table: string): string =>
  `${table}.input_tokens + ${table}.output_tokens + ${table}.cache_write_tokens + ${table}.cache_read_tokens`;

function valuesOf(row: UsageRow): Array<string | number | null> {
  return [
    row.dedupKey,
    row.sessionId,
    row.agentType,
    row.model,
    row.provider,
    row.inputTokens,
    row.outputTokens,
    row.cacheWriteTokens,
    row.cacheWrite1hTokens,
    row.cacheReadTokens,
    row.reasoningTokens,
    row.costUsd,
    row.costSource,
    row.recordedAt,
    row.flags,
  ];
}

/**
 * One row per dedup key, as if the records had been written one after another: `ignore` keeps
 * the first, `keep-larger` the first of the largest. Needed on PostgreSQL (one statement may
 * not touch a row twice) and done on both so both count the same.
 */
function collapseDuplicates(rows: UsageRow[], conflict: UsageConflictPolicy): UsageRow[] {
  const positions = new Map<string, number>();
  const unique: UsageRow[] = [];
  for (const row of rows) {
    const at = positions.get(row.dedupKey);
    if (at === undefined) {
      positions.set(row.dedupKey, unique.length);
      unique.push(row);
    } else if (conflict === 'keep-larger' && tokenTotal(row) > tokenTotal(unique[at] as UsageRow)) {
      unique[at] = row;
    }
  }
  return unique;
}

interface WriteCounts {
  inserted: number;
  updated: number;
}

// ---- SQLite: one prepared statement, reused for every row, inside one transaction. ----

const SQLITE_INSERT = `insert into usage_records (${USAGE_RECORD_COLUMNS.join(', ')}) values (${USAGE_RECORD_COLUMNS.map(() => '?').join(', ')}) on conflict (dedup_key) do nothing`;
const SQLITE_UPDATE_IF_LARGER =
  `update usage_records set ${UPDATED_COLUMNS.map((column) => `${column} = ?`).join(', ')} ` +
  `where dedup_key = ? and ${TOTAL_OF('usage_records')} < ?`;

function writeSqlite(connection: BetterSqlite3.Database, rows: readonly UsageRow[], conflict: UsageConflictPolicy): WriteCounts {
  // `insert … do nothing` then, only on a conflict, `update … where smaller`: two statements
  // instead of one `do update where`, because SQLite's change count cannot tell an insert
  // from an update and the caller wants to know.
  const insert = connection.prepare(SQLITE_INSERT);
  const update = conflict === 'keep-larger' ? connection.prepare(SQLITE_UPDATE_IF_LARGER) : undefined;
  let inserted = 0;
  let updated = 0;
  for (const row of rows) {
    const values = valuesOf(row);
    if (insert.run(values).changes === 1) {
      inserted++;
    } else if (update !== undefined) {
      values.shift(); // dedup_key moves to the WHERE clause
      values.push(row.dedupKey, tokenTotal(row));
      updated += update.run(values).changes;
    }
  }
  return { inserted, updated };
}

// ---- PostgreSQL: one INSERT … SELECT FROM unnest(arrays) per chunk. ----
// Fifteen array parameters per statement whatever the row count, so the 65535 bind-parameter
// limit never applies and the server parses one short statement per chunk (measured faster
// than multi-row VALUES; see the bulk tests' report).

const PG_CHUNK_ROWS = 10_000;
const PG_ARRAY_TYPES = ['text', 'text', 'text', 'text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'float8', 'text', 'int8', 'text'] as const;
const PG_SELECT = `select * from unnest(${PG_ARRAY_TYPES.map((type, index) => `$${index + 1}::${type}[]`).join(', ')})`;
const PG_UPSERT: Record<UsageConflictPolicy, string> = {
  ignore: `insert into usage_records (${USAGE_RECORD_COLUMNS.join(', ')}) ${PG_SELECT} on conflict (dedup_key) do nothing returning true as inserted`,
  'keep-larger':
    `insert into usage_records (${USAGE_RECORD_COLUMNS.join(', ')}) ${PG_SELECT} on conflict (dedup_key) do update set ` +
    `${UPDATED_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')} ` +
    `where ${TOTAL_OF('excluded')} > ${TOTAL_OF('usage_records')} ` +
    // xmax is 0 on a freshly inserted row version and the locker's xid on an updated one.
    `returning (xmax = 0) as inserted`,
};

async function writePostgres(connection: PgClient, rows: UsageRow[], conflict: UsageConflictPolicy): Promise<WriteCounts> {
  // Every writer touches keys in the same order, so two kernels upserting overlapping batches
  // wait for each other instead of deadlocking.
  rows.sort((a, b) => (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0));
  let inserted = 0;
  let updated = 0;
  for (let start = 0; start < rows.length; start += PG_CHUNK_ROWS) {
    const chunk = rows.slice(start, start + PG_CHUNK_ROWS);
    const columns: Array<Array<string | number | null>> = USAGE_RECORD_COLUMNS.map(() => new Array<string | number | null>(chunk.length));
    chunk.forEach((row, rowIndex) => {
      valuesOf(row).forEach((value, columnIndex) => {
        (columns[columnIndex] as Array<string | number | null>)[rowIndex] = value;
      });
    });
    const result = await connection.query<{ inserted: boolean }>(PG_UPSERT[conflict], columns);
    for (const row of result.rows) {
      if (row.inserted) inserted++;
      else updated++;
    }
  }
  return { inserted, updated };
}

// Lost races between two kernels: the transaction was rolled back whole, so running it again is safe.
const PG_CONFLICT_RETRY = { maxAttempts: 5, initialDelayMs: 20, maxDelayMs: 500, factor: 3, jitter: 0.5 };
const isLostRace = (error: unknown): boolean => {
  const code = (error as { cause?: { code?: unknown }; code?: unknown } | null)?.cause?.code ?? (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
};

/**
 * Writes usage records idempotently on `dedupKey`, all or nothing.
 *
 * `target` is a `Database` (the call runs in its own transaction) or a knex transaction (from
 * `Database.transaction`), so a caller can write records and advance an ingest cursor in one
 * commit; the records then go through a savepoint, and a failure leaves the caller's
 * transaction as it was before this call.
 *
 * SQLite: one prepared statement reused for every row, in one `BEGIN IMMEDIATE` transaction,
 * synchronously — the event loop is busy for the whole call (≈ 1 s per 300k records), so callers
 * feed it file-sized chunks, not a whole history at once. PostgreSQL: one `INSERT … SELECT FROM
 * unnest(…) ON CONFLICT` per 10k records, keys in sorted order; a deadlock or serialization
 * failure against another writer retries the whole call (own transaction only).
 *
 * @throws StorageError E1008 when a record is invalid (nothing written), E1001 when the
 * connection is lost, E1002 when the database refuses the statement.
 */
export async function upsertUsageRecords(
  target: Database | Knex.Transaction,
  records: readonly UsageRecordInput[],
  options: UpsertUsageOptions = {},
): Promise<UpsertUsageResult> {
  const conflict = options.conflict ?? 'ignore';
  if (target instanceof Database && target.isClosed) {
    throw new StorageError(ErrorCodes.DB_CONNECTION, `cannot upsert usage records: the store ${target.location} is closed`);
  }
  const unique = collapseDuplicates(toUsageRows(records), conflict);
  const operation = `upserting ${records.length} usage records`;
  let counts: WriteCounts;
  try {
    counts = unique.length === 0 ? { inserted: 0, updated: 0 } : await write(target, unique, conflict);
  } catch (error) {
    if (error instanceof RimuruError) throw error;
    throw toStorageError(error, { operation, sql: dialectOf(knexOf(target)) === 'sqlite' ? SQLITE_INSERT : PG_UPSERT[conflict] });
  }
  return { ...counts, unchanged: records.length - counts.inserted - counts.updated };
}

/**
 * The rows an upsert of `records` writes on SQLite, for a writer on the driver directly (a
 * worker thread): checked and collapsed like {@link upsertUsageRecords} does, each row's values
 * in {@link SQLITE_UPSERT_SQL}'s column order, and its token total (for `keep-larger`).
 *
 * @throws StorageError E1008 when a record is invalid.
 */
export function sqliteUpsertRows(records: readonly UsageRecordInput[], conflict: UsageConflictPolicy): { values: Array<Array<string | number | null>>; totals: number[] } {
  const unique = collapseDuplicates(toUsageRows(records), conflict);
  return { values: unique.map(valuesOf), totals: unique.map(tokenTotal) };
}

/** The statements of the SQLite upsert: insert (values; a conflict does nothing), and update-if-larger (values without the key, then the key and the new total). */
export const SQLITE_UPSERT_SQL = { insert: SQLITE_INSERT, updateIfLarger: SQLITE_UPDATE_IF_LARGER } as const;

function knexOf(target: Database | Knex.Transaction): Knex | Knex.Transaction {
  return target instanceof Database ? target.knex : target;
}

async function write(target: Database | Knex.Transaction, rows: UsageRow[], conflict: UsageConflictPolicy): Promise<WriteCounts> {
  const knex = knexOf(target);
  if (dialectOf(knex) === 'sqlite') {
    if (target instanceof Database) {
      // The pool has one connection: holding it keeps every other query of this process out.
      const connection = (await target.knex.client.acquireConnection()) as BetterSqlite3.Database;
      try {
        return connection.transaction(() => writeSqlite(connection, rows, conflict)).immediate();
      } finally {
        await target.knex.client.releaseConnection(connection);
      }
    }
    const raw = await rawConnectionOf(target);
    if (raw.dialect !== 'sqlite') throw new TypeError('expected a SQLite connection');
    // Nested: better-sqlite3 uses a savepoint inside the caller's transaction.
    return raw.connection.transaction(() => writeSqlite(raw.connection, rows, conflict))();
  }
  if (target instanceof Database) {
    return retryAsync(() => writePostgresInTransaction(target.knex, rows, conflict), PG_CONFLICT_RETRY, { isRetryable: isLostRace });
  }
  // A nested knex transaction is a savepoint on the caller's connection.
  return writePostgresInTransaction(target, rows, conflict);
}

async function writePostgresInTransaction(knex: Knex | Knex.Transaction, rows: UsageRow[], conflict: UsageConflictPolicy): Promise<WriteCounts> {
  // knex may answer a failed transaction with its own ROLLBACK error (e.g. on a dead
  // connection); the failure worth reporting is the one that made it roll back.
  let failure: unknown;
  try {
    return await knex.transaction(async (trx) => {
      const raw = await rawConnectionOf(trx);
      if (raw.dialect !== 'postgres') throw new TypeError('expected a PostgreSQL connection');
      try {
        return await writePostgres(raw.connection, rows, conflict);
      } catch (error) {
        failure = error;
        throw error;
      }
    });
  } catch (error) {
    throw failure ?? error;
  }
}
