import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, StorageError } from '../../../kernel/core/errors';
import { JsonFileKvStore } from '../../../kernel/services/kv';

describe('JsonFileKvStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rimuru-kv-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('keeps values across store instances (they are on disk, not only in memory)', async () => {
    const first = new JsonFileKvStore({ dir });
    await first.set('@rimuru/adapter-x', 'cursor', { offset: 42, files: ['a', 'b'] });
    await first.set('@rimuru/adapter-x', 'seen', true);

    const second = new JsonFileKvStore({ dir });
    expect(await second.get('@rimuru/adapter-x', 'cursor')).toEqual({ offset: 42, files: ['a', 'b'] });
    expect(await second.keys('@rimuru/adapter-x')).toEqual(['cursor', 'seen']);
  });

  it('scopes keys to the plugin', async () => {
    const store = new JsonFileKvStore({ dir });
    await store.set('one', 'k', 1);
    await store.set('two', 'k', 2);
    expect(await store.get('one', 'k')).toBe(1);
    expect(await store.get('two', 'k')).toBe(2);
    await store.delete('one', 'k');
    expect(await store.get('one', 'k')).toBeUndefined();
    expect(await store.get('two', 'k')).toBe(2);
  });

  it('lists keys by prefix, sorted', async () => {
    const store = new JsonFileKvStore({ dir });
    for (const key of ['b:2', 'a:1', 'b:1', 'c']) await store.set('p', key, key);
    expect(await store.keys('p', 'b:')).toEqual(['b:1', 'b:2']);
  });

  it('returns copies, so mutating a read value does not change what is stored', async () => {
    const store = new JsonFileKvStore({ dir });
    const value = { list: [1] };
    await store.set('p', 'k', value);
    value.list.push(2);
    const read = (await store.get('p', 'k')) as { list: number[] };
    read.list.push(3);
    expect(await store.get('p', 'k')).toEqual({ list: [1] });
  });

  it('refuses values that would not survive a JSON round trip', async () => {
    const store = new JsonFileKvStore({ dir });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [Number.NaN, new Date(0), { nested: [undefined] }, cyclic, () => 1]) {
      await expect(store.set('p', 'k', bad)).rejects.toMatchObject({ code: ErrorCodes.KV_INVALID_VALUE });
    }
    expect(await store.keys('p')).toEqual([]);
  });

  it('refuses a write that would take the plugin over its size cap, and keeps the old state', async () => {
    const store = new JsonFileKvStore({ dir, maxBytesPerPlugin: 200 });
    await store.set('p', 'small', 'x');
    const error: unknown = await store.set('p', 'big', 'y'.repeat(500)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: ErrorCodes.KV_QUOTA_EXCEEDED });
    expect(await new JsonFileKvStore({ dir }).keys('p')).toEqual(['small']);
  });

  it('writes atomically: no temp files are left and the file is always complete JSON', async () => {
    const store = new JsonFileKvStore({ dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set('p', `k${i}`, i)));
    const names = await fsp.readdir(dir);
    expect(names).toEqual(['p.json']);
    const parsed = JSON.parse(await fsp.readFile(path.join(dir, 'p.json'), 'utf8')) as { entries: Record<string, number> };
    expect(Object.keys(parsed.entries)).toHaveLength(50);
  });

  it('reports a corrupt file instead of silently starting empty', async () => {
    await fsp.writeFile(path.join(dir, 'p.json'), '{"version":1,"entries":', 'utf8');
    await expect(new JsonFileKvStore({ dir }).get('p', 'k')).rejects.toMatchObject({ code: ErrorCodes.DB_QUERY });
  });

  it('keeps a scoped plugin name in one file inside the directory', async () => {
    const store = new JsonFileKvStore({ dir });
    await store.set('@scope/../../escape', 'k', 1);
    expect(await fsp.readdir(dir)).toEqual([`${encodeURIComponent('@scope/../../escape')}.json`]);
  });
});
