import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../../../kernel/core/errors';
import { CONFIG_DEFAULTS, type ResolvedConfig } from '../../../../kernel/config/schema';
import { Database, databaseOptionsFromConfig, MIGRATIONS, MIGRATIONS_TABLE, type DatabaseOptions } from '../../../../kernel/services/storage';
import { rejectionOf } from '../../../../sdk/src/testing/rejection-of';
import { describeBackends, describePostgres, describeSqlite, FAST_RETRY } from '../backends';

const allMigrations = MIGRATIONS.map((migration) => migration.name);

describeBackends('Database', (backend) => {
  it('migrates a new store, and a second run applies nothing', async () => {
    const db = await backend.connectIsolated({ migrate: false });
    expect(await db.schemaStatus()).toEqual({ applied: [], pending: allMigrations, unknown: [] });
    expect(await db.runMigrations()).toEqual({ applied: allMigrations });
    expect(await db.runMigrations()).toEqual({ applied: [] });
    expect(await db.schemaStatus()).toEqual({ applied: allMigrations, pending: [], unknown: [] });
    for (const table of ['agents', 'sessions', 'usage_records', 'models', 'system_metrics', 'ingest_cursors', 'plugins', 'plugin_kv', 'hook_executions']) {
      expect(await db.knex.schema.hasTable(table)).toBe(true);
    }
  });

  it('a second connection to a migrated store finds nothing to migrate', async () => {
    await backend.connect();
    const second = await backend.connectSecond();
    expect(await second.runMigrations()).toEqual({ applied: [] });
  });

  it('refuses a schema with a migration this code does not know (E1004), naming it', async () => {
    const db = await backend.connectIsolated();
    await db.knex(MIGRATIONS_TABLE).insert({ name: '9999-from-the-future', batch: 99, migration_time: new Date() });
    const error = await rejectionOf(db.runMigrations());
    expect(error.code).toBe(ErrorCodes.DB_SCHEMA_TOO_NEW);
    expect(error.message).toContain('9999-from-the-future');
    expect(error.message).toMatch(/upgrade Rimuru/i);
    expect((await db.schemaStatus()).unknown).toEqual(['9999-from-the-future']);
  });

  it('reads bigint columns and counts as numbers', async () => {
    const db = await backend.connect();
    await backend.reset();
    const at = 1_760_000_000_123;
    await db.knex('system_metrics').insert({ collected_at: at, memory_used_bytes: 2 ** 40 });
    const row = await db.knex('system_metrics').first('collected_at', 'memory_used_bytes');
    expect(row).toEqual({ collected_at: at, memory_used_bytes: 2 ** 40 });
    const [{ n, total }] = (await db.knex('system_metrics').select(db.knex.raw('count(*) as n, sum(memory_used_bytes) as total'))) as Array<{
      n: unknown;
      total: unknown;
    }>;
    expect(n).toBe(1);
    expect(total).toBe(2 ** 40);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const db = await backend.connect();
    await backend.reset();
    await db.transaction(async (trx) => {
      await trx('plugin_kv').insert({ plugin: 'p', key: 'kept', value: '1', updated_at: 1 });
    });
    await expect(
      db.transaction(async (trx) => {
        await trx('plugin_kv').insert({ plugin: 'p', key: 'lost', value: '1', updated_at: 1 });
        throw new Error('boom');
      }),
    ).rejects.toThrow();
    expect(await db.knex('plugin_kv').pluck('key')).toEqual(['kept']);
  });

  it('wraps a failing statement as E1002 with an excerpt of the SQL', async () => {
    const db = await backend.connect();
    const error = await rejectionOf(db.transaction(async (trx) => trx.raw('select * from no_such_table')));
    expect(error.code).toBe(ErrorCodes.DB_QUERY);
    expect(error.message).toMatch(/no_such_table/);
  });

  it('health check is ok when open and not ok (without throwing) once closed; close is idempotent', async () => {
    const db = await backend.connectSecond();
    const healthy = await db.healthCheck();
    expect(healthy).toEqual({ ok: true, dialect: backend.kind, latencyMs: expect.any(Number) });
    await db.close();
    await db.close();
    const closed = await db.healthCheck();
    expect(closed.ok).toBe(false);
    expect(closed.error).toMatch(/closed/);
    expect((await rejectionOf(db.runMigrations())).code).toBe(ErrorCodes.DB_CONNECTION);
  });
});

describeSqlite('Database on SQLite', (backend) => {
  it('creates the data dir and rimuru.db on first run, in WAL mode with foreign keys on', async () => {
    const options = await backend.isolatedOptions();
    const dataDir = path.join(options.dataDir, 'nested', 'data');
    const db = await Database.connect({ ...options, dataDir });
    try {
      expect(db.dialect).toBe('sqlite');
      expect(existsSync(path.join(dataDir, 'rimuru.db'))).toBe(true);
      expect(await db.knex.raw('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await db.knex.raw('pragma foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await db.knex.raw('pragma synchronous')).toEqual([{ synchronous: 1 }]); // NORMAL
      expect(await db.knex.raw('pragma busy_timeout')).toEqual([{ timeout: 5000 }]);
    } finally {
      await db.close();
    }
  });

  it('keeps data across a close and reopen', async () => {
    const options = await backend.isolatedOptions();
    const first = await Database.connect(options);
    await first.runMigrations();
    await first.knex('plugin_kv').insert({ plugin: 'p', key: 'k', value: '"v"', updated_at: 1 });
    await first.close();
    const second = await Database.connect(options);
    try {
      expect(await second.runMigrations()).toEqual({ applied: [] });
      expect(await second.knex('plugin_kv').pluck('value')).toEqual(['"v"']);
    } finally {
      await second.close();
    }
  });
});

describePostgres('Database on PostgreSQL', (backend) => {
  it('two kernels migrating one new store at once: one applies, the other finds nothing to do', async () => {
    const options = await backend.isolatedOptions();
    const [first, second] = await Promise.all([Database.connect(options), Database.connect(options)]);
    try {
      const results = await Promise.all([first.runMigrations(), second.runMigrations()]);
      expect(results.map((result) => result.applied).sort()).toEqual([[], allMigrations]);
      expect(await first.schemaStatus()).toEqual({ applied: allMigrations, pending: [], unknown: [] });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('works in the schema it was given, not in public', async () => {
    const db = await backend.connect();
    const { rows } = (await db.knex.raw('select current_schema() as schema')) as { rows: Array<{ schema: string }> };
    expect(rows[0]?.schema).toBe(backend.options().searchPath);
  });
});

describe('Database.connect refuses what it cannot use', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'rimuru-storage-urls-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const options = (url: string): DatabaseOptions => ({
    url,
    dataDir,
    maxConnections: 2,
    minConnections: 0,
    connectTimeoutMs: 2_000,
    idleTimeoutMs: 1_000,
    retry: FAST_RETRY,
  });

  it('an unsupported scheme: E1001 naming the URL with its password masked and what is accepted', async () => {
    const error = await rejectionOf(Database.connect(options('mysql://root:hunter2@db.example:3306/rimuru')));
    expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
    expect(error.message).toContain('mysql://root:***@db.example:3306/rimuru');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toMatch(/postgres:\/\//);
  });

  it('something that is not a URL: E1001 saying so', async () => {
    const error = await rejectionOf(Database.connect(options('not a url')));
    expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
    expect(error.message).toMatch(/"not a url" is not a valid URL/);
  });

  it('a refused connection: E1001 naming host:port and the cause, password masked, after the retries', async () => {
    const error = await rejectionOf(
      Database.connect({ ...options('postgres://postgres:s3cret@127.0.0.1:1/x'), retry: { ...FAST_RETRY, maxAttempts: 3 } }),
    );
    expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('gave up after 3 attempts');
    expect(error.message).not.toContain('s3cret');
  });

  it('options that make no sense: E1005 listing them', async () => {
    const error = await rejectionOf(Database.connect({ ...options('postgres://h/x'), minConnections: 5, maxConnections: 2 }));
    expect(error.code).toBe(ErrorCodes.DB_NOT_CONFIGURED);
    expect(error.message).toMatch(/minConnections/);
  });
});

describe('databaseOptionsFromConfig', () => {
  it('takes the data dir and the database block of the resolved config', () => {
    const config = {
      dataDir: '/data/rimuru',
      database: { ...CONFIG_DEFAULTS.database, url: 'postgres://team@db/rimuru' },
    } as unknown as ResolvedConfig;
    expect(databaseOptionsFromConfig(config)).toEqual({
      url: 'postgres://team@db/rimuru',
      dataDir: '/data/rimuru',
      ...CONFIG_DEFAULTS.database,
    });
  });
});
