import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { Database, type DatabaseOptions, type Dialect, type UsageRecordInput } from '../../kernel/services/storage';
import { numberOf, rawRows } from '../../kernel/services/storage/repositories/row-values';
import { USAGE_RECORD_COLUMNS } from '../../kernel/services/storage/bulk/upsert-usage-records';
import { SQLITE_PRAGMAS } from '../../kernel/services/storage/database/database';

/**
 * The stores the storage benchmark writes to: ours (a migrated `Database`) and, beside it, an
 * identical `usage_records` table — same columns, indexes and unique key, but no validation, no
 * rollups, no triggers — that the baseline writes with the bare driver.
 *
 * SQLite: a fresh temp data dir; the baseline table lives in a second file there, opened with
 * the same pragmas. PostgreSQL: a fresh schema of `BENCH_DATABASE_URL`, dropped afterwards.
 */

export const BENCH_DATABASE_URL = process.env.RIMURU_BENCH_DATABASE_URL ?? process.env.RIMURU_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const COLUMN_COUNT = USAGE_RECORD_COLUMNS.length;

/** A record as the baseline binds it: no checks, just the columns in order. */
function pushValues(into: unknown[], record: UsageRecordInput): void {
  into.push(
    record.dedupKey,
    record.sessionId,
    record.agentType,
    record.model,
    record.provider ?? null,
    record.inputTokens,
    record.outputTokens,
    record.cacheWriteTokens,
    record.cacheWrite1hTokens ?? 0,
    record.cacheReadTokens,
    record.reasoningTokens ?? 0,
    record.costUsd,
    record.costSource,
    record.recordedAt,
    record.flags === undefined ? null : JSON.stringify(record.flags),
  );
}

export interface BenchStore {
  readonly kind: Dialect;
  /** Ours, migrated. */
  readonly db: Database;
  /** The baseline write of one batch into the identical table, in one transaction; returns the rows inserted. */
  rawInsert(records: readonly UsageRecordInput[]): Promise<number>;
  /** Rows in the baseline table. */
  rawCount(): Promise<number>;
  /** What the baseline statement is, for the table. */
  readonly rawLabel: string;
  dispose(): Promise<void>;
}

function options(dataDir: string): DatabaseOptions {
  return {
    dataDir,
    maxConnections: 4,
    minConnections: 0,
    connectTimeoutMs: 5_000,
    idleTimeoutMs: 30_000,
    retry: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 100, factor: 2, jitter: 0 },
  };
}

// ---- SQLite ----

const SQLITE_RAW_INSERT = `insert into usage_records (${USAGE_RECORD_COLUMNS.join(', ')}) values (${USAGE_RECORD_COLUMNS.map(() => '?').join(', ')}) on conflict (dedup_key) do nothing`;

export async function openSqliteStore(): Promise<BenchStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rimuru-bench-storage-'));
  let db: Database | undefined;
  let raw: BetterSqlite3.Database | undefined;
  try {
    db = await Database.connect(options(dataDir));
    await db.runMigrations();
    // The table and its indexes exactly as migration 0001 made them; not the rollup triggers.
    const ddl = rawRows(
      await db.knex.raw(`select sql from sqlite_master where tbl_name = 'usage_records' and type in ('table', 'index') and sql is not null order by type = 'table' desc`),
    ).map((row) => String(row.sql));
    raw = new BetterSqlite3(path.join(dataDir, 'baseline.db'));
    // The pragmas Database.connect sets.
    for (const pragma of SQLITE_PRAGMAS) raw.pragma(pragma);
    for (const statement of ddl) raw.exec(statement);
    const connection = raw;
    const insert = connection.prepare(SQLITE_RAW_INSERT);
    const insertAll = connection.transaction((records: readonly UsageRecordInput[]) => {
      let inserted = 0;
      const values: unknown[] = [];
      for (const record of records) {
        values.length = 0;
        pushValues(values, record);
        inserted += insert.run(values).changes;
      }
      return inserted;
    });
    const ours = db;
    return {
      kind: 'sqlite',
      db: ours,
      rawInsert: async (records) => insertAll.immediate(records),
      rawCount: async () => numberOf((connection.prepare('select count(*) as n from usage_records').get() as { n: number }).n),
      rawLabel: 'better-sqlite3 prepared INSERT … ON CONFLICT DO NOTHING, one transaction per batch, identical table (no checks, no rollups)',
      dispose: async () => {
        connection.close();
        await ours.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    raw?.close();
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

// ---- PostgreSQL ----

/** Rows per multi-row INSERT of the baseline: 30,000 bind parameters, under the 65,535 limit. */
const PG_RAW_ROWS = 2_000;
const RAW_TABLE = 'baseline_usage_records';

function pgMultiRowInsert(rows: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row++) {
    tuples.push(`(${USAGE_RECORD_COLUMNS.map((_, column) => `$${row * COLUMN_COUNT + column + 1}`).join(', ')})`);
  }
  return `insert into ${RAW_TABLE} (${USAGE_RECORD_COLUMNS.join(', ')}) values ${tuples.join(', ')} on conflict (dedup_key) do nothing`;
}

/** Whether the server answers, and why not; asked before anything is created on it. */
export async function probePostgres(url: string = BENCH_DATABASE_URL): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openPostgresStore(url: string = BENCH_DATABASE_URL): Promise<BenchStore> {
  const schema = `rimuru_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rimuru-bench-storage-'));
  const admin = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  let db: Database | undefined;
  let raw: Client | undefined;
  const drop = async (): Promise<void> => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await admin.query(`create schema "${schema}"`);
    db = await Database.connect({ ...options(dataDir), url, searchPath: schema });
    await db.runMigrations();
    raw = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await raw.connect();
    const connection = raw;
    await connection.query(`set search_path to "${schema}"`);
    // Same columns, defaults, constraints and indexes; its own id sequence; no triggers.
    await connection.query(`create table ${RAW_TABLE} (like usage_records including all)`);
    await connection.query(`alter table ${RAW_TABLE} alter column id drop default`);
    await connection.query(`alter table ${RAW_TABLE} alter column id add generated by default as identity`);
    const fullChunk = pgMultiRowInsert(PG_RAW_ROWS);
    const ours = db;
    return {
      kind: 'postgres',
      db: ours,
      rawInsert: async (records) => {
        let inserted = 0;
        await connection.query('begin');
        try {
          for (let start = 0; start < records.length; start += PG_RAW_ROWS) {
            const chunk = records.slice(start, start + PG_RAW_ROWS);
            const values: unknown[] = [];
            for (const record of chunk) pushValues(values, record);
            const result = await connection.query(chunk.length === PG_RAW_ROWS ? fullChunk : pgMultiRowInsert(chunk.length), values);
            inserted += result.rowCount ?? 0;
          }
          await connection.query('commit');
        } catch (error) {
          await connection.query('rollback').catch(() => undefined);
          throw error;
        }
        return inserted;
      },
      rawCount: async () => numberOf((await connection.query<{ n: string }>(`select count(*) as n from ${RAW_TABLE}`)).rows[0]?.n),
      rawLabel: `pg multi-row INSERT … ON CONFLICT DO NOTHING, ${PG_RAW_ROWS.toLocaleString('en-US')} rows per statement, one transaction per batch, identical table (no checks, no rollup triggers)`,
      dispose: async () => {
        await connection.end().catch(() => undefined);
        await ours.close();
        await drop();
      },
    };
  } catch (error) {
    await raw?.end().catch(() => undefined);
    await db?.close();
    await drop();
    throw error;
  }
}
