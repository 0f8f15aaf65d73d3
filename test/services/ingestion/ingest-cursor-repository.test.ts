import { ErrorCodes } from '../../../kernel/core/errors';
import { IngestCursorRepository, type IngestCursorInput } from '../../../kernel/services/ingestion';
import type { Database } from '../../../kernel/services/storage';
import { rejectionOf } from '../../../sdk/src/testing';
import { describeBackends } from '../storage/backends';

const cursor = (overrides: Partial<IngestCursorInput> = {}): IngestCursorInput => ({
  sourceId: '/home/dev/.test-agent/a.jsonl',
  plugin: '@rimuru/adapter-test',
  inode: '1234',
  size: 2048,
  mtimeMs: 1_767_312_000_123.75,
  offset: 1900,
  state: { model: 'gpt-5', totals: [1, 2, 3] },
  warnings: 3,
  warningKinds: { corrupt: 2, 'huge-line': 1 },
  tail: { bytes: 1024, sha256: 'ab'.repeat(32) },
  updatedAt: 1_767_312_001_000,
  ...overrides,
});

describeBackends('IngestCursorRepository', (backend) => {
  let db: Database;
  let cursors: IngestCursorRepository;

  beforeAll(async () => {
    db = await backend.connect();
    cursors = new IngestCursorRepository(db);
  });

  beforeEach(() => backend.reset());

  it('round-trips every field, the adapter state and the engine’s envelope (mtime kept to the millisecond)', async () => {
    await cursors.save(cursor());
    expect(await cursors.findById('/home/dev/.test-agent/a.jsonl')).toEqual({
      sourceId: '/home/dev/.test-agent/a.jsonl',
      plugin: '@rimuru/adapter-test',
      inode: '1234',
      size: 2048,
      mtimeMs: 1_767_312_000_123,
      offset: 1900,
      state: { model: 'gpt-5', totals: [1, 2, 3] },
      warnings: 3,
      warningKinds: { corrupt: 2, 'huge-line': 1 },
      tail: { bytes: 1024, sha256: 'ab'.repeat(32) },
      signature: null,
      updatedAt: 1_767_312_001_000,
    });
    expect(await cursors.findById('/nowhere')).toBeNull();
  });

  it('lists by plugin and deletes one or a plugin’s all', async () => {
    await cursors.save(cursor({ sourceId: 'b' }));
    await cursors.save(cursor({ sourceId: 'a' }));
    await cursors.save(cursor({ sourceId: 'c', plugin: 'other' }));
    expect((await cursors.findByPlugin('@rimuru/adapter-test')).map((c) => c.sourceId)).toEqual(['a', 'b']);
    expect((await cursors.findAll()).map((c) => c.sourceId)).toEqual(['a', 'b', 'c']);
    expect(await cursors.delete('a')).toBe(true);
    expect(await cursors.deleteByPlugin('@rimuru/adapter-test')).toBe(1);
    expect((await cursors.findAll()).map((c) => c.sourceId)).toEqual(['c']);
  });

  it('compare-and-set writes only over the cursor it read, and always moves the version forward', async () => {
    const created = await cursors.compareAndSet(null, cursor({ updatedAt: 5 }));
    expect(created?.updatedAt).toBe(5);
    // A second writer that also saw "no cursor" loses.
    expect(await cursors.compareAndSet(null, cursor({ offset: 10 }))).toBeNull();
    // Same clock tick: the version still moves.
    const advanced = await cursors.compareAndSet(created, cursor({ offset: 2000, updatedAt: 5 }));
    expect(advanced).toMatchObject({ offset: 2000, updatedAt: 6 });
    // A writer holding the old cursor cannot move it back.
    expect(await cursors.compareAndSet(created, cursor({ offset: 1950 }))).toBeNull();
    expect((await cursors.findById(cursor().sourceId))?.offset).toBe(2000);
  });

  it('rolls back with the caller’s transaction', async () => {
    await rejectionOf(
      db.transaction(async (trx) => {
        await new IngestCursorRepository(trx).compareAndSet(null, cursor());
        throw new Error('the records failed');
      }),
    );
    expect(await cursors.findById(cursor().sourceId)).toBeNull();
  });

  it('reads a state column that is not the engine’s envelope as the adapter’s state, and unreadable JSON as none', async () => {
    await cursors.save(cursor());
    await db.knex('ingest_cursors').update({ state: '{"position":42}' });
    expect((await cursors.findById(cursor().sourceId))?.state).toEqual({ position: 42 });
    await db.knex('ingest_cursors').update({ state: 'not json' });
    expect(await cursors.findById(cursor().sourceId)).toMatchObject({ state: undefined, warningKinds: {}, tail: null });
  });

  it('refuses an invalid cursor with E1008 and writes nothing', async () => {
    const error = await rejectionOf(cursors.save(cursor({ offset: -1 })));
    expect(error.code).toBe(ErrorCodes.DB_INVALID_RECORD);
    expect(await cursors.findAll()).toEqual([]);
  });
});
