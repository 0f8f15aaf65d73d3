import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import type { ExportColumn, ExportDataset } from '../../../sdk/src/kinds/exporter';
import type { Database } from '../storage';
import { numberOf, numberOrNull, stringOrNull } from '../storage/repositories/row-values';
import { storageCall } from '../storage/repositories/storage-call';
import { USAGE_RECORD_READ_COLUMNS } from '../storage/repositories/usage-columns';

/** Which rows an export covers; times are epoch ms, `[from, to)`, null = unbounded. */
export interface ExportQuery {
  from: number | null;
  to: number | null;
  /** Only these agent types; undefined = all. */
  agents?: readonly string[];
  /** Only sessions run in this directory (and their records). */
  projectPath?: string;
}

export type ExportRow = Record<string, string | number | null>;

/** Reads a dataset page by page; `next()` resolves to an empty page at the end. */
export interface ExportReader {
  next(): Promise<ExportRow[]>;
  /** How many rows the whole export holds (one count query; only asked for when a progress bar is drawn). */
  count(): Promise<number>;
}

/** Keeps the asked-for columns of a full row, in their order. */
function pick(full: Record<string, string | number | null>, columns: readonly ExportColumn[]): ExportRow {
  const row: ExportRow = {};
  for (const column of columns) row[column.name] = full[column.name] ?? null;
  return row;
}

// ---- costs: usage_records, oldest first ----

function costsWhere(knex: Knex, query: ExportQuery): Knex.QueryBuilder {
  const builder = knex('usage_records as u');
  if (query.projectPath !== undefined) builder.join('sessions as s', 's.id', 'u.session_id').where('s.project_path', query.projectPath);
  if (query.from !== null) builder.where('u.recorded_at', '>=', query.from);
  if (query.to !== null) builder.where('u.recorded_at', '<', query.to);
  if (query.agents !== undefined) builder.whereIn('u.agent_type', [...query.agents]);
  return builder;
}

function costRow(raw: Record<string, unknown>): Record<string, string | number | null> {
  const inputTokens = numberOf(raw.input_tokens);
  const outputTokens = numberOf(raw.output_tokens);
  const cacheWriteTokens = numberOf(raw.cache_write_tokens);
  const cacheReadTokens = numberOf(raw.cache_read_tokens);
  return {
    id: numberOf(raw.id),
    recordedAt: numberOf(raw.recorded_at),
    sessionId: String(raw.session_id),
    agentType: String(raw.agent_type),
    model: String(raw.model),
    provider: stringOrNull(raw.provider),
    inputTokens,
    outputTokens,
    cacheWriteTokens,
    cacheWrite1hTokens: numberOf(raw.cache_write_1h_tokens),
    cacheReadTokens,
    reasoningTokens: numberOf(raw.reasoning_tokens),
    totalTokens: inputTokens + outputTokens + cacheWriteTokens + cacheReadTokens,
    costUsd: numberOf(raw.cost_usd),
    costSource: String(raw.cost_source),
  };
}

/** The first page's cursor: before any record (times and ids are never this small). */
const BEFORE_ALL = { recordedAt: Number.MIN_SAFE_INTEGER, id: Number.MIN_SAFE_INTEGER };

/** The page query, with the cursor's two placeholders last: `(recorded_at, id) > (?, ?)`. */
function costsPageSql(database: Database, query: ExportQuery, pageSize: number): { sql: string; bindings: readonly unknown[] } {
  const native = costsWhere(database.knex, query)
    .select(USAGE_RECORD_READ_COLUMNS)
    .whereRaw('(u.recorded_at, u.id) > (?, ?)', [BEFORE_ALL.recordedAt, BEFORE_ALL.id])
    .orderBy([{ column: 'u.recorded_at' }, { column: 'u.id' }])
    .limit(pageSize)
    .toSQL()
    .toNative();
  return { sql: native.sql, bindings: native.bindings };
}

type PageReader = (cursor: { recordedAt: number; id: number }) => Promise<Array<Record<string, unknown>>>;

/**
 * SQLite: one prepared statement returning plain objects, run on the pooled connection for a
 * page at a time (never held between pages, so other queries of the process still get their
 * turn). Skips knex's per-query building and result handling, the larger share of the host's
 * time in an export.
 */
function sqlitePages(database: Database, query: ExportQuery, pageSize: number): PageReader {
  const { sql, bindings } = costsPageSql(database, query, pageSize);
  const [recordedAt, id, limit] = bindings.slice(-3);
  // The cursor and the limit are bound last; should knex ever order them otherwise, use it instead.
  if (recordedAt !== BEFORE_ALL.recordedAt || id !== BEFORE_ALL.id || limit !== pageSize) return knexPages(database, query, pageSize);
  const fixed = bindings.slice(0, -3);
  const statements = new WeakMap<object, BetterSqlite3.Statement>();
  const client = database.knex.client as { acquireConnection(): Promise<BetterSqlite3.Database>; releaseConnection(connection: BetterSqlite3.Database): Promise<unknown> };
  return (cursor) =>
    storageCall('reading usage records to export', async () => {
      const connection = await client.acquireConnection();
      try {
        let statement = statements.get(connection);
        if (statement === undefined) {
          statement = connection.prepare(sql);
          statements.set(connection, statement);
        }
        return statement.all(...fixed, cursor.recordedAt, cursor.id, limit) as Array<Record<string, unknown>>;
      } finally {
        await client.releaseConnection(connection);
      }
    });
}

function knexPages(database: Database, query: ExportQuery, pageSize: number): PageReader {
  return (cursor) =>
    storageCall('reading usage records to export', () =>
      costsWhere(database.knex, query)
        .select(USAGE_RECORD_READ_COLUMNS)
        .whereRaw('(u.recorded_at, u.id) > (?, ?)', [cursor.recordedAt, cursor.id])
        .orderBy([{ column: 'u.recorded_at' }, { column: 'u.id' }])
        .limit(pageSize),
    ) as Promise<Array<Record<string, unknown>>>;
}

/**
 * Usage records oldest first (`recorded_at`, then id), keyset-paged: each page seeks the
 * `recorded_at` index past the last row of the one before, so page 200 costs what page 1 did
 * (OFFSET would re-read every row before it).
 */
function costsReader(database: Database, query: ExportQuery, columns: readonly ExportColumn[], pageSize: number): ExportReader {
  let after = BEFORE_ALL;
  let done = false;
  const page = database.dialect === 'sqlite' ? sqlitePages(database, query, pageSize) : knexPages(database, query, pageSize);
  return {
    async next() {
      if (done) return [];
      const raws = await page(after);
      if (raws.length < pageSize) done = true;
      const last = raws[raws.length - 1];
      if (last !== undefined) after = { recordedAt: numberOf(last.recorded_at), id: numberOf(last.id) };
      return raws.map((raw) => pick(costRow(raw), columns));
    },
    async count() {
      const row = (await storageCall('counting usage records to export', () => costsWhere(database.knex, query).count({ n: '*' }).first())) as Record<string, unknown> | undefined;
      return numberOf(row?.n);
    },
  };
}

// ---- sessions: overlapping the range, by start ----

function sessionsWhere(knex: Knex, query: ExportQuery): Knex.QueryBuilder {
  const builder = knex('sessions as s');
  // A session belongs to a range it overlaps: started before its end, active after its start.
  if (query.to !== null) builder.where('s.started_at', '<', query.to);
  if (query.from !== null) builder.where('s.last_activity_at', '>=', query.from);
  if (query.agents !== undefined) builder.whereIn('s.agent_type', [...query.agents]);
  if (query.projectPath !== undefined) builder.where('s.project_path', query.projectPath);
  return builder;
}

const SESSION_COLUMNS = ['s.id', 's.agent_type', 's.external_id', 's.project_path', 's.title', 's.status', 's.started_at', 's.ended_at', 's.last_activity_at', 's.host'];

const SESSION_SUMS =
  'session_id, count(*) as records, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, ' +
  'sum(cache_write_tokens) as cache_write_tokens, sum(cache_read_tokens) as cache_read_tokens, sum(reasoning_tokens) as reasoning_tokens, sum(cost_usd) as cost_usd';

/** Sessions by start (then id), keyset-paged; each page's usage totals in one grouped query on the `session_id` index. */
function sessionsReader(database: Database, query: ExportQuery, columns: readonly ExportColumn[], pageSize: number): ExportReader {
  let after: { startedAt: number; id: string } | null = null;
  let done = false;
  const needsTotals = columns.some((column) => !['id', 'agentType', 'externalId', 'projectPath', 'title', 'status', 'startedAt', 'endedAt', 'lastActivityAt', 'host'].includes(column.name));
  return {
    async next() {
      if (done) return [];
      const cursor = after;
      const raws = (await storageCall('reading sessions to export', () => {
        const builder = sessionsWhere(database.knex, query).select(SESSION_COLUMNS);
        if (cursor !== null) builder.whereRaw('(s.started_at, s.id) > (?, ?)', [cursor.startedAt, cursor.id]);
        return builder.orderBy([{ column: 's.started_at' }, { column: 's.id' }]).limit(pageSize);
      })) as Array<Record<string, unknown>>;
      if (raws.length < pageSize) done = true;
      const last = raws[raws.length - 1];
      if (last !== undefined) after = { startedAt: numberOf(last.started_at), id: String(last.id) };
      const totals = new Map<string, Record<string, unknown>>();
      if (needsTotals && raws.length > 0) {
        const ids = raws.map((raw) => String(raw.id));
        const sums = (await storageCall('summing the usage of sessions to export', () =>
          database.knex('usage_records').select(database.knex.raw(SESSION_SUMS)).whereIn('session_id', ids).groupBy('session_id'),
        )) as Array<Record<string, unknown>>;
        for (const sum of sums) totals.set(String(sum.session_id), sum);
      }
      return raws.map((raw) => {
        const sum = totals.get(String(raw.id)) ?? {};
        const inputTokens = numberOf(sum.input_tokens);
        const outputTokens = numberOf(sum.output_tokens);
        const cacheWriteTokens = numberOf(sum.cache_write_tokens);
        const cacheReadTokens = numberOf(sum.cache_read_tokens);
        return pick(
          {
            id: String(raw.id),
            agentType: String(raw.agent_type),
            externalId: String(raw.external_id),
            projectPath: stringOrNull(raw.project_path),
            title: stringOrNull(raw.title),
            status: String(raw.status),
            startedAt: numberOf(raw.started_at),
            endedAt: numberOrNull(raw.ended_at),
            lastActivityAt: numberOf(raw.last_activity_at),
            host: stringOrNull(raw.host),
            records: numberOf(sum.records),
            inputTokens,
            outputTokens,
            cacheWriteTokens,
            cacheReadTokens,
            reasoningTokens: numberOf(sum.reasoning_tokens),
            totalTokens: inputTokens + outputTokens + cacheWriteTokens + cacheReadTokens,
            costUsd: numberOf(sum.cost_usd),
          },
          columns,
        );
      });
    },
    async count() {
      const row = (await storageCall('counting sessions to export', () => sessionsWhere(database.knex, query).count({ n: '*' }).first())) as Record<string, unknown> | undefined;
      return numberOf(row?.n);
    },
  };
}

/** A keyset-paged reader of one dataset, yielding rows of exactly `columns`. */
export function exportReader(database: Database, dataset: ExportDataset, query: ExportQuery, columns: readonly ExportColumn[], pageSize: number): ExportReader {
  return dataset === 'costs' ? costsReader(database, query, columns, pageSize) : sessionsReader(database, query, columns, pageSize);
}
