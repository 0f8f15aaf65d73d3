import { ErrorCodes } from '../../../../kernel/core/errors';
import type { HookExecution } from '../../../../kernel/core/hooks';
import type { PluginRecord } from '../../../../kernel/core/registry';
import type { Database } from '../../../../kernel/services/storage';
import { DatabaseHookExecutionRecorder, DatabaseKvStore, DatabasePluginStateStore } from '../../../../kernel/services/storage/stores';
import { describeBackends } from '../backends';

describeBackends('database-backed kernel stores', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  describe('DatabaseKvStore', () => {
    it('keeps each plugin’s keys apart and survives a second connection', async () => {
      const kv = new DatabaseKvStore(db.knex);
      await kv.set('@acme/a', 'cursor', { offset: 42, files: ['x.jsonl'] });
      await kv.set('@acme/b', 'cursor', 'other');
      await kv.set('@acme/a', 'cursor', { offset: 43, files: ['x.jsonl'] });
      const second = new DatabaseKvStore((await backend.connectSecond()).knex);
      expect(await second.get('@acme/a', 'cursor')).toEqual({ offset: 43, files: ['x.jsonl'] });
      expect(await second.get('@acme/b', 'cursor')).toBe('other');
      expect(await second.get('@acme/a', 'missing')).toBeUndefined();
    });

    it('lists keys by prefix, sorted, and deletes', async () => {
      const kv = new DatabaseKvStore(db.knex);
      for (const key of ['b/2', 'a/1', 'b/1', 'c']) await kv.set('p', key, 1);
      expect(await kv.keys('p', 'b/')).toEqual(['b/1', 'b/2']);
      await kv.delete('p', 'b/1');
      await kv.delete('p', 'never-there');
      expect(await kv.keys('p')).toEqual(['a/1', 'b/2', 'c']);
    });

    it('refuses values that are not JSON, over-long keys and writes over the quota, leaving the store as it was', async () => {
      const kv = new DatabaseKvStore(db.knex, { maxBytesPerPlugin: 200 });
      await kv.set('p', 'small', 'x');
      await expect(kv.set('p', 'fn', () => 1)).rejects.toMatchObject({ code: ErrorCodes.KV_INVALID_VALUE });
      await expect(kv.set('p', 'k'.repeat(600), 1)).rejects.toMatchObject({ code: ErrorCodes.KV_INVALID_VALUE });
      await expect(kv.set('p', 'big', 'y'.repeat(300))).rejects.toMatchObject({ code: ErrorCodes.KV_QUOTA_EXCEEDED });
      expect(await kv.keys('p')).toEqual(['small']);
    });
  });

  describe('DatabasePluginStateStore', () => {
    const record = (name: string, state: PluginRecord['state'], reason?: string): PluginRecord => ({
      name,
      version: '1.2.3',
      dir: `/plugins/${name}`,
      source: 'builtin',
      manifest: null,
      bundlePath: null,
      integrity: 'ab'.repeat(32),
      state,
      reason,
      since: new Date(0),
    });

    it('stores choices, clears ones that were dropped, and keeps recorded states', async () => {
      const store = new DatabasePluginStateStore(db.knex);
      await store.recordState(record('a', 'running'));
      await store.save({ a: { enabled: false }, b: { enabled: true } });
      expect(await store.load()).toEqual({ a: { enabled: false }, b: { enabled: true } });
      await store.save({ b: { enabled: true } });
      const reopened = new DatabasePluginStateStore((await backend.connectSecond()).knex);
      expect(await reopened.load()).toEqual({ b: { enabled: true } });
      await store.recordState(record('a', 'quarantined', 'E2002 CPU limit'));
      expect((await reopened.states()).find((s) => s.name === 'a')).toMatchObject({ version: '1.2.3', state: 'quarantined', reason: 'E2002 CPU limit' });
    });
  });

  describe('DatabaseHookExecutionRecorder', () => {
    const execution = (i: number, result: HookExecution['result'] = 'continue'): HookExecution => ({
      hook: 'SessionStart',
      handlerId: `p:${i}`,
      owner: 'p',
      startedAt: new Date(Date.UTC(2026, 10, 21, 0, 0, i)).toISOString(),
      durationMs: 1.5,
      result,
      ...(result === 'error' ? { error: { code: 'E5002', message: 'boom' } } : {}),
    });

    it('writes in batches off the dispatch path and reads the newest first', async () => {
      const recorder = new DatabaseHookExecutionRecorder(db.knex, { batchSize: 3, flushIntervalMs: 60_000 });
      for (let i = 0; i < 7; i += 1) recorder.record(execution(i, i === 6 ? 'error' : 'continue'));
      await recorder.dispose();
      const recent = await recorder.recent(2);
      expect(recent).toEqual([execution(6, 'error'), execution(5)]);
      const row = (await db.knex('hook_executions').count({ n: '*' }).first()) as { n: number | string };
      expect(Number(row.n)).toBe(7);
    });

    it('keeps executions while the database refuses writes and stores them once it accepts again', async () => {
      const recorder = new DatabaseHookExecutionRecorder(db.knex, { batchSize: 100, flushIntervalMs: 60_000, maxBuffered: 5 });
      await db.knex.schema.renameTable('hook_executions', 'hook_executions_away');
      for (let i = 0; i < 8; i += 1) recorder.record(execution(i));
      await recorder.flush();
      await db.knex.schema.renameTable('hook_executions_away', 'hook_executions');
      await recorder.flush();
      expect(recorder.dropped).toBe(3);
      expect((await recorder.recent(10)).map((e) => e.handlerId)).toEqual(['p:7', 'p:6', 'p:5', 'p:4', 'p:3']);
    });
  });
});
