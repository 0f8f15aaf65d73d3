/**
 * Runs one jest block against both storage backends: SQLite in a fresh temp dir and PostgreSQL
 * in a fresh schema of `RIMURU_TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards — so parallel jest workers never see each other's rows.
 *
 * When PostgreSQL is unreachable its block is skipped with a console notice, except under
 * `CI=true`, where it fails: CI must never go green without having run on both.
 *
 *   describeBackends('SessionRepository', (backend) => {
 *     let db: Database;
 *     beforeAll(async () => { db = await backend.connect(); });
 *     beforeEach(() => backend.reset());
 *     it('…', async () => { … });
 *   });
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { Database, type DatabaseOptions, type Dialect, type RetryConfig } from '../../../kernel/services/storage';

export const TEST_DATABASE_URL = process.env.RIMURU_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Quick retries: a test that expects a refused connection should not wait seconds for it. */
export const FAST_RETRY: RetryConfig = { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20, factor: 2, jitter: 0 };

export interface TestBackend {
  readonly kind: Dialect;
  /** Options for this suite's store (valid once the suite's `beforeAll` ran). */
  options(overrides?: Partial<DatabaseOptions>): DatabaseOptions;
  /** This suite's store, migrated; the same `Database` on every call until it is closed. */
  connect(): Promise<Database>;
  /** Another, independent connection (its own pool) to this suite's store, migrated. */
  connectSecond(): Promise<Database>;
  /**
   * Options for a brand-new empty store (another temp dir / schema), removed after the suite.
   * For tests that break or version the schema, or run a child process on their own file.
   */
  isolatedOptions(): Promise<DatabaseOptions>;
  /** A `Database` on a brand-new store; migrated unless `migrate: false`. */
  connectIsolated(options?: { migrate?: boolean }): Promise<Database>;
  /** Empties every table of this suite's store (the schema stays). */
  reset(): Promise<void>;
}

type Probe = { ok: true } | { ok: false; reason: string };
let postgresProbe: Probe | undefined;

// jest registers tests synchronously, so reachability is decided before any test exists:
// one short-lived child process per jest worker tries to connect.
function probePostgres(): Probe {
  if (postgresProbe !== undefined) return postgresProbe;
  const script = `
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query('select 1')).then(() => client.end())
      .then(() => process.exit(0), (e) => { process.stderr.write(String((e && (e.message || e.code)) || e)); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, PROBE_URL: TEST_DATABASE_URL },
    encoding: 'utf8',
    timeout: 10_000,
  });
  postgresProbe =
    result.status === 0
      ? { ok: true }
      : { ok: false, reason: result.stderr.trim() || result.error?.message || `probe exited with ${String(result.status ?? result.signal)}` };
  return postgresProbe;
}

function baseOptions(dataDir: string): DatabaseOptions {
  return { dataDir, maxConnections: 5, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000, retry: FAST_RETRY };
}

interface Store {
  options: DatabaseOptions;
  dispose(): Promise<void>;
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createStore(kind: Dialect): Promise<Store> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `rimuru-storage-${kind}-`));
  const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') return { options: baseOptions(dataDir), dispose: async () => removeDir() };
  const schema = `rimuru_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withAdminClient((client) => client.query(`create schema "${schema}"`));
  return {
    options: { ...baseOptions(dataDir), url: TEST_DATABASE_URL, searchPath: schema },
    dispose: async () => {
      await withAdminClient((client) => client.query(`drop schema if exists "${schema}" cascade`));
      removeDir();
    },
  };
}

async function emptyTables(db: Database): Promise<void> {
  if (db.dialect === 'postgres') {
    const { rows } = (await db.knex.raw(
      `select tablename from pg_tables where schemaname = current_schema() and tablename not like 'knex\\_%'`,
    )) as { rows: Array<{ tablename: string }> };
    if (rows.length === 0) return;
    await db.knex.raw(`truncate ${rows.map((row) => `"${row.tablename}"`).join(', ')} restart identity cascade`);
    return;
  }
  const tables = (await db.knex.raw(
    `select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name not like 'knex\\_%' escape '\\'`,
  )) as Array<{ name: string }>;
  await db.knex.transaction(async (trx) => {
    for (const { name } of tables) await trx.raw(`delete from "${name}"`);
    if (await trx.schema.hasTable('sqlite_sequence')) await trx.raw('delete from sqlite_sequence');
  });
}

function defineBackendSuite(kind: Dialect, body: (backend: TestBackend) => void): void {
  let store: Store | undefined;
  let primary: Database | undefined;
  const extraStores: Store[] = [];
  const opened: Database[] = [];

  const requireStore = (): Store => {
    if (store === undefined) throw new Error('the backend is used before its beforeAll ran: call it inside beforeAll/it');
    return store;
  };
  const open = async (options: DatabaseOptions, migrate: boolean): Promise<Database> => {
    const db = await Database.connect(options);
    opened.push(db);
    if (migrate) await db.runMigrations();
    return db;
  };

  const backend: TestBackend = {
    kind,
    options: (overrides = {}) => ({ ...requireStore().options, ...overrides }),
    connect: async () => {
      if (primary === undefined || primary.isClosed) primary = await open(requireStore().options, true);
      return primary;
    },
    connectSecond: async () => open(requireStore().options, true),
    isolatedOptions: async () => {
      const extra = await createStore(kind);
      extraStores.push(extra);
      return extra.options;
    },
    connectIsolated: async ({ migrate = true } = {}) => open(await backend.isolatedOptions(), migrate),
    reset: async () => emptyTables(await backend.connect()),
  };

  beforeAll(async () => {
    store = await createStore(kind);
  });

  afterAll(async () => {
    await Promise.all(opened.map((db) => db.close()));
    for (const extra of extraStores) await extra.dispose();
    await store?.dispose();
  });

  body(backend);
}

/** Runs `body` once per backend, as `<title> [sqlite]` and `<title> [postgres]`. */
export function describeBackends(title: string, body: (backend: TestBackend) => void): void {
  describeSqlite(title, body);
  describePostgres(title, body);
}

/** Only the SQLite half, for backend-specific tests. */
export function describeSqlite(title: string, body: (backend: TestBackend) => void): void {
  describe(`${title} [sqlite]`, () => defineBackendSuite('sqlite', body));
}

/** Only the PostgreSQL half (skipped, or failed under CI, when the server is unreachable). */
export function describePostgres(title: string, body: (backend: TestBackend) => void): void {
  const probe = probePostgres();
  if (probe.ok) {
    describe(`${title} [postgres]`, () => defineBackendSuite('postgres', body));
    return;
  }
  const why = `PostgreSQL at ${TEST_DATABASE_URL} is unreachable (${probe.reason}); set RIMURU_TEST_DATABASE_URL or start the server`;
  if (process.env.CI === 'true') {
    describe(`${title} [postgres]`, () => {
      it('needs a reachable PostgreSQL under CI=true', () => {
        throw new Error(why);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED "${title} [postgres]": ${why}`);
  describe.skip(`${title} [postgres]`, () => defineBackendSuite('postgres', body));
}
