import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { ErrorCodes, RimuruError, StorageError, errorMessage } from '../../../core/errors';
import { MIGRATIONS } from '../migrations';
import { retryAsync } from '../retry/retry-async';
import { RetryPresets } from '../retry/retry-config';
import { isTransientDatabaseError } from '../retry/transient-database-error';
import { resolveStorageTarget, type DatabaseOptions, type StorageTarget } from './database-options';
import { maskUrl } from './mask-url';
import { ListMigrationSource, MIGRATIONS_TABLE } from './migration-source';
import { PG_TYPES } from './pg-types';
import type { Dialect } from './raw-connection';
import { causeText, toStorageError } from './to-storage-error';

export interface SchemaStatus {
  /** Migrations recorded in the database that this code knows, in order. */
  applied: string[];
  /** Migrations this code knows that the database has not run yet. */
  pending: string[];
  /** Migrations recorded in the database that this code does not know (a newer Rimuru ran). */
  unknown: string[];
}

export interface HealthStatus {
  ok: boolean;
  dialect: Dialect;
  latencyMs: number;
  error?: string;
}

// SQLite waits this long for another process's write lock before SQLITE_BUSY.
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Set on every SQLite connection of ours (the writer thread's too). Beyond WAL: a 32 MiB page
 * cache instead of 2 MiB and a checkpoint every 16,384 pages (64 MiB of WAL) instead of 1,000.
 * A cold ingest of 473k records (a 207 MB store) wrote 813k pages and read 375k back with the
 * defaults — the unique dedup_key index is touched all over by every transaction, and the small
 * cache re-read what it had just written — and 624k / 196k with these (strace, same run).
 */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'foreign_keys = ON',
  `busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
  'cache_size = -32768',
  'wal_autocheckpoint = 16384',
];
// Two kernels starting together both try to migrate; the loser waits for the lock.
const MIGRATION_LOCK_RETRY = { maxAttempts: 20, initialDelayMs: 100, maxDelayMs: 1_000, factor: 1.5, jitter: 0.3 };

/**
 * The kernel's store: SQLite (embedded default, one WAL file in the data dir) or PostgreSQL
 * (a `postgres://` URL; a team shares one). Same schema and same queries on both; the
 * dialect-specific parts (bulk writes) look at `dialect`.
 *
 * Naming: the seeds' snake_case API is spelled in camelCase here and in every storage module
 * (`find_by_id` → `findById`, `sum_costs_since` → `sumCostsSince`, `retry_async` → `retryAsync`).
 */
export class Database {
  private closing: Promise<void> | undefined;

  private constructor(
    /** The query builder; share it, never `destroy()` it (use `close()`). */
    readonly knex: Knex,
    readonly dialect: Dialect,
    /** Where the store is, for messages: the SQLite file or `host:port/database` (no password). */
    readonly location: string,
    private readonly logger: Logger | undefined,
    private readonly connectTimeoutMs: number,
  ) {}

  /**
   * Opens the store the options name: validates them, creates the SQLite file and its folder on
   * first run, or connects to PostgreSQL (retrying a refused or unreachable server with
   * `options.retry`, default `RetryPresets.database`). Does not migrate: call `runMigrations`.
   *
   * @throws StorageError E1001 for a URL that is neither absent nor `postgres://` (password
   * masked), or a server that cannot be reached (naming host:port and the cause).
   */
  static async connect(options: DatabaseOptions): Promise<Database> {
    const { options: checked, target } = resolveStorageTarget(options);
    const logger = options.logger?.child({ component: 'storage' });
    return target.dialect === 'sqlite' ? Database.openSqlite(checked, target, logger) : Database.connectPostgres(checked, target, logger);
  }

  private static async openSqlite(
    options: DatabaseOptions,
    target: Extract<StorageTarget, { dialect: 'sqlite' }>,
    logger: Logger | undefined,
  ): Promise<Database> {
    try {
      mkdirSync(path.dirname(target.filename), { recursive: true });
    } catch (error) {
      throw toStorageError(error, { operation: `creating the data dir for the SQLite store ${target.filename}`, code: ErrorCodes.DB_CONNECTION });
    }
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: target.filename },
      useNullAsDefault: true,
      // better-sqlite3 is synchronous: one connection, and knex queues the rest.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (connection: BetterSqlite3.Database, done: (error: Error | null, connection: BetterSqlite3.Database) => void) => {
          try {
            for (const pragma of SQLITE_PRAGMAS) connection.pragma(pragma);
            done(null, connection);
          } catch (error) {
            done(error as Error, connection);
          }
        },
      },
      acquireConnectionTimeout: Math.max(options.connectTimeoutMs, 60_000),
      log: knexLog(logger),
    });
    const db = new Database(knex, 'sqlite', target.filename, logger, options.connectTimeoutMs);
    try {
      await knex.raw('select 1');
    } catch (error) {
      await knex.destroy().catch(() => undefined);
      throw toStorageError(error, { operation: `opening the SQLite store ${target.filename}`, code: ErrorCodes.DB_CONNECTION });
    }
    logger?.debug({ file: target.filename }, 'storage: SQLite store open');
    return db;
  }

  private static async connectPostgres(
    options: DatabaseOptions,
    target: Extract<StorageTarget, { dialect: 'postgres' }>,
    logger: Logger | undefined,
  ): Promise<Database> {
    const location = `${target.host}:${target.port}/${target.database}`;
    const knex = knexFactory({
      client: 'pg',
      connection: {
        connectionString: target.url,
        connectionTimeoutMillis: options.connectTimeoutMs,
        application_name: 'rimuru-kernel',
        types: PG_TYPES,
      },
      ...(options.searchPath !== undefined ? { searchPath: [options.searchPath] } : {}),
      pool: {
        min: options.minConnections,
        max: options.maxConnections,
        idleTimeoutMillis: options.idleTimeoutMs,
        createTimeoutMillis: options.connectTimeoutMs,
        propagateCreateError: true,
      },
      // Waiting for a free pooled connection under load is not a connect timeout: be patient.
      acquireConnectionTimeout: Math.max(options.connectTimeoutMs, 60_000),
      log: knexLog(logger),
    });
    const db = new Database(knex, 'postgres', location, logger, options.connectTimeoutMs);
    const retry = options.retry ?? RetryPresets.database;
    try {
      await retryAsync(() => knex.raw('select 1'), retry, {
        isRetryable: isTransientDatabaseError,
        onRetry: ({ attempt, delayMs, error }) =>
          logger?.warn({ attempt, delayMs, location, error: causeText(error) }, 'storage: PostgreSQL not reachable yet, retrying'),
      });
    } catch (error) {
      await knex.destroy().catch(() => undefined);
      throw new StorageError(
        ErrorCodes.DB_CONNECTION,
        `cannot connect to PostgreSQL at ${target.host}:${target.port} (database "${target.database}", url ${maskUrl(target.url)}): ${causeText(error)}` +
          (isTransientDatabaseError(error) ? ` — gave up after ${retry.maxAttempts} attempts; is the server running and reachable?` : ''),
        { cause: error, details: { host: target.host, port: target.port, database: target.database, url: maskUrl(target.url) } },
      );
    }
    logger?.debug({ location, searchPath: options.searchPath }, 'storage: connected to PostgreSQL');
    return db;
  }

  /** Which known migrations ran, which are pending, and which applied ones this code does not know. */
  async schemaStatus(): Promise<SchemaStatus> {
    const known = MIGRATIONS.map((migration) => migration.name);
    let recorded: string[] = [];
    try {
      if (await this.knex.schema.hasTable(MIGRATIONS_TABLE)) {
        const rows: Array<{ name: string }> = await this.knex(MIGRATIONS_TABLE).select('name').orderBy('id');
        recorded = rows.map((row) => row.name);
      }
    } catch (error) {
      throw toStorageError(error, { operation: `reading the schema version of ${this.location}` });
    }
    const recordedSet = new Set(recorded);
    const knownSet = new Set(known);
    return {
      applied: known.filter((name) => recordedSet.has(name)),
      pending: known.filter((name) => !recordedSet.has(name)),
      unknown: recorded.filter((name) => !knownSet.has(name)),
    };
  }

  /**
   * Brings the schema up to date. Idempotent (a second run applies nothing) and safe when two
   * kernels start together (knex's migration lock; the second waits).
   *
   * @throws StorageError E1004 when the database has migrations this code does not know,
   * E1003 when a migration fails.
   */
  async runMigrations(): Promise<{ applied: string[] }> {
    this.assertOpen();
    const status = await this.schemaStatus();
    if (status.unknown.length > 0) {
      throw new StorageError(
        ErrorCodes.DB_SCHEMA_TOO_NEW,
        `the database at ${this.location} has schema migrations this version of Rimuru does not know (${status.unknown.join(', ')}): ` +
          `it was upgraded by a newer Rimuru. Upgrade Rimuru to use it; refusing to touch a schema it does not understand.`,
        { details: { unknown: status.unknown, applied: status.applied, location: this.location } },
      );
    }
    if (status.pending.length === 0) return { applied: [] };
    try {
      const [, applied] = (await retryAsync(
        () => this.knex.migrate.latest({ migrationSource: new ListMigrationSource(), tableName: MIGRATIONS_TABLE }),
        MIGRATION_LOCK_RETRY,
        { isRetryable: isMigrationLockContention },
      )) as [number, string[]];
      if (applied.length > 0) this.logger?.info({ applied, location: this.location }, 'storage: schema migrated');
      return { applied };
    } catch (error) {
      throw toStorageError(error, { operation: `migrating the schema of ${this.location}`, code: ErrorCodes.DB_MIGRATION });
    }
  }

  /**
   * A round trip to the store, bounded by `timeoutMs` (default: the connect timeout) so a
   * server that stopped answering cannot hang the caller. Never throws: a failure is
   * `{ ok: false, error }`.
   */
  async healthCheck(timeoutMs: number = this.connectTimeoutMs): Promise<HealthStatus> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
    if (this.closing !== undefined) return { ok: false, dialect: this.dialect, latencyMs: 0, error: `the store ${this.location} is closed` };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${this.location} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.knex.raw('select 1'), deadline]);
      return { ok: true, dialect: this.dialect, latencyMs: elapsed() };
    } catch (error) {
      return { ok: false, dialect: this.dialect, latencyMs: elapsed(), error: causeText(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Driver failures come out as `StorageError` (E1001/E1002); `RimuruError`s pass through.
   */
  async transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await this.knex.transaction(fn);
    } catch (error) {
      if (error instanceof RimuruError) throw error;
      throw toStorageError(error, { operation: `a transaction on ${this.location}` });
    }
  }

  /** Closes every connection. Idempotent. */
  async close(): Promise<void> {
    this.closing ??= this.knex.destroy().catch((error: unknown) => {
      this.logger?.warn({ error: errorMessage(error) }, 'storage: error while closing');
    });
    return this.closing;
  }

  /** The container disposes root services with `dispose()`: same as `close()`. */
  dispose(): Promise<void> {
    return this.close();
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) {
      throw new StorageError(ErrorCodes.DB_CONNECTION, `the store ${this.location} is closed`);
    }
  }
}

// knex logs pool trouble with console.log; route it to our logger (debug: the failure that
// matters reaches the caller as a StorageError anyway).
function knexLog(logger: Logger | undefined): Knex.Logger {
  const log = (message: unknown): void => logger?.debug({ knex: errorMessage(message) }, 'storage: knex');
  return { warn: log, error: log, debug: log, deprecate: () => undefined };
}

function isMigrationLockContention(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'MigrationLocked') return true;
  // Two first runs racing to create knex's own tables on PostgreSQL.
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === '42P07';
}
