import Database from 'better-sqlite3';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost, makeTempDir, type HostFixture } from './host-fixture';

describe('sqlite capability', () => {
  let dir: string;
  let dbFile: string;
  let outsideFile: string;
  let fx: HostFixture;

  beforeEach(async () => {
    dir = await makeTempDir('rimuru-sqlite-');
    await fsp.mkdir(path.join(dir, 'agent'));
    await fsp.mkdir(path.join(dir, 'elsewhere'));
    dbFile = path.join(dir, 'agent', 'state.db');
    outsideFile = path.join(dir, 'elsewhere', 'other.db');
    for (const file of [dbFile, outsideFile]) {
      const db = new Database(file);
      db.exec('CREATE TABLE messages (id INTEGER PRIMARY KEY, model TEXT, tokens INTEGER, raw BLOB)');
      const insert = db.prepare('INSERT INTO messages (model, tokens, raw) VALUES (?, ?, ?)');
      for (let i = 1; i <= 30; i += 1) insert.run(i % 2 === 0 ? 'gpt' : 'claude', i * 10, Buffer.from([i]));
      db.close();
    }
    fx = await makeHost({ baseDir: dir, permissions: { sqlite: [path.join(dir, 'agent')] }, limits: { maxSqliteRows: 20, sqliteTimeoutMs: 1000 } });
  });
  afterEach(async () => {
    await fx.dispose();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('runs a SELECT with bound parameters; BLOBs come back as base64', async () => {
    const rows = await fx.call('sqlite', 'query', {
      file: dbFile,
      sql: 'SELECT id, model, tokens, raw FROM messages WHERE model = ? AND tokens > ? ORDER BY id LIMIT 2',
      params: ['claude', 50],
    });
    expect(rows).toEqual([
      { id: 7, model: 'claude', tokens: 70, raw: Buffer.from([7]).toString('base64') },
      { id: 9, model: 'claude', tokens: 90, raw: Buffer.from([9]).toString('base64') },
    ]);
  });

  it.each([
    ['INSERT', "INSERT INTO messages (model, tokens) VALUES ('x', 1)"],
    ['INSERT … RETURNING', "INSERT INTO messages (model, tokens) VALUES ('x', 1) RETURNING id"],
    ['ATTACH', "ATTACH DATABASE '/tmp/evil.db' AS evil"],
    ['DELETE', 'DELETE FROM messages'],
    ['a writing PRAGMA', 'PRAGMA user_version = 7'],
  ])('refuses %s and leaves the database unchanged', async (_label, sql) => {
    await expect(fx.call('sqlite', 'query', { file: dbFile, sql })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
    const db = new Database(dbFile, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({ n: 30 });
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.close();
  });

  it('refuses a database outside the sqlite roots', async () => {
    await expect(fx.call('sqlite', 'query', { file: outsideFile, sql: 'SELECT 1' })).rejects.toMatchObject({
      code: ErrorCodes.PERMISSION_DENIED,
      message: expect.stringContaining('rimuru.permissions["sqlite"]'),
    });
  });

  it('refuses to create a missing database', async () => {
    const missing = path.join(dir, 'agent', 'missing.db');
    await expect(fx.call('sqlite', 'query', { file: missing, sql: 'SELECT 1' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_FAILED });
    await expect(fsp.stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses more rows than the cap instead of cutting them silently', async () => {
    await expect(fx.call('sqlite', 'query', { file: dbFile, sql: 'SELECT id FROM messages' })).rejects.toMatchObject({
      code: ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
      message: expect.stringContaining('LIMIT'),
    });
  });

  it('stops a query that never ends, and keeps working afterwards', async () => {
    await expect(
      fx.call('sqlite', 'query', {
        file: dbFile,
        sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c',
      }),
    ).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_FAILED, message: expect.stringContaining('stopped') });
    expect(await fx.call('sqlite', 'query', { file: dbFile, sql: 'SELECT count(*) AS n FROM messages' })).toEqual([{ n: 30 }]);
  });

  it('sees rows written after its handle was opened (handles are reused, not snapshots)', async () => {
    expect(await fx.call('sqlite', 'query', { file: dbFile, sql: 'SELECT count(*) AS n FROM messages' })).toEqual([{ n: 30 }]);
    const db = new Database(dbFile);
    db.prepare("INSERT INTO messages (model, tokens) VALUES ('late', 1)").run();
    db.close();
    expect(await fx.call('sqlite', 'query', { file: dbFile, sql: 'SELECT count(*) AS n FROM messages' })).toEqual([{ n: 31 }]);
  });

  it('fails calls made after dispose', async () => {
    await fx.host.dispose();
    await expect(fx.call('sqlite', 'query', { file: dbFile, sql: 'SELECT 1' })).rejects.toMatchObject({ code: ErrorCodes.SANDBOX_DISPOSED });
  });
});
