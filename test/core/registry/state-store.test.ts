import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../../kernel/core/errors';
import { JsonFilePluginStateStore, pluginStateFile } from '../../../kernel/core/registry';
import { makeTempDir, removeDir } from '../../fixtures/registry/write-plugin';

describe('JsonFilePluginStateStore', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await makeTempDir('rimuru-state-');
  });
  afterEach(() => removeDir(dataDir));

  it('loads nothing when the file does not exist yet', async () => {
    await expect(new JsonFilePluginStateStore(dataDir).load()).resolves.toEqual({});
  });

  it('keeps its file at <data dir>/plugins-state.json', () => {
    expect(new JsonFilePluginStateStore(dataDir).file).toBe(path.join(dataDir, 'plugins-state.json'));
  });

  it('round-trips choices through <data dir>/plugins-state.json, creating the dir', async () => {
    const nested = path.join(dataDir, 'deeper', 'still');
    const store = new JsonFilePluginStateStore(nested);
    await store.save({ zeta: { enabled: false }, '@scope/a': { enabled: true } });
    const file = path.join(nested, 'plugins-state.json');
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({
      version: 1,
      plugins: { '@scope/a': { enabled: true }, zeta: { enabled: false } },
    });
    await expect(new JsonFilePluginStateStore(nested).load()).resolves.toEqual({
      '@scope/a': { enabled: true },
      zeta: { enabled: false },
    });
  });

  it('replaces the file by rename and leaves no temp files behind', async () => {
    const file = pluginStateFile(dataDir);
    const store = new JsonFilePluginStateStore(dataDir);
    await store.save({ a: { enabled: true } });
    const { ino: firstInode } = await fs.stat(file);
    await store.save({ a: { enabled: false } });
    // A rename swaps in a new inode; an in-place rewrite would keep the old one.
    expect((await fs.stat(file)).ino).not.toBe(firstInode);
    expect(await fs.readdir(dataDir)).toEqual(['plugins-state.json']);
  });

  it('refuses a corrupt file with E4002 naming it', async () => {
    const file = pluginStateFile(dataDir);
    await fs.writeFile(file, '{"version":1,"plugins":');
    const error = await new JsonFilePluginStateStore(dataDir).load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('E4002');
    expect((error as ConfigError).message).toContain(`${file}: cannot read plugin state: not valid JSON`);
  });

  it('refuses a file of the wrong shape, naming the key', async () => {
    const file = pluginStateFile(dataDir);
    await fs.writeFile(file, JSON.stringify({ version: 1, plugins: { a: { enabled: 'yes' } } }));
    await expect(new JsonFilePluginStateStore(dataDir).load()).rejects.toThrow(
      `${file}: plugins.a.enabled: expected true or false, got "yes"`,
    );
  });
});
