import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultBuiltinPluginDir, discoverPlugins } from '../../../kernel/core/registry';
import { makeTempDir, removeDir, writePlugin, writeRawPackage } from '../../fixtures/registry/write-plugin';

describe('discoverPlugins', () => {
  let root: string;
  let builtinDir: string;
  let userDir: string;
  beforeEach(async () => {
    root = await makeTempDir();
    builtinDir = path.join(root, 'builtin');
    userDir = path.join(root, 'user');
  });
  afterEach(() => removeDir(root));

  it('finds plugins in both dirs, including @scope folders, sorted by name', async () => {
    await writePlugin(builtinDir, { name: 'exporter-csv', kind: 'exporter' });
    await writePlugin(userDir, { name: '@acme/notifier-pager', kind: 'notifier' });
    await writePlugin(userDir, { name: 'adapter-x', kind: 'adapter' });
    const { plugins, shadowed } = await discoverPlugins({ builtinDir, userDir });
    expect(plugins.map((p) => [p.name, p.source, p.dir])).toEqual([
      ['@acme/notifier-pager', 'user', path.join(userDir, '@acme', 'notifier-pager')],
      ['adapter-x', 'user', path.join(userDir, 'adapter-x')],
      ['exporter-csv', 'builtin', path.join(builtinDir, 'exporter-csv')],
    ]);
    expect(shadowed).toEqual([]);
  });

  it('records the bundle path and its sha256, or null when the bundle is not built', async () => {
    const built = await writePlugin(builtinDir, { name: 'built', bundle: 'exports.x = 1;\n' });
    await writePlugin(builtinDir, { name: 'unbuilt', bundle: null });
    const { plugins } = await discoverPlugins({ builtinDir });
    const expected = createHash('sha256').update('exports.x = 1;\n').digest('hex');
    expect(plugins.find((p) => p.name === 'built')).toMatchObject({ bundlePath: built.bundlePath, integrity: expected });
    expect(plugins.find((p) => p.name === 'unbuilt')).toMatchObject({ integrity: null });
  });

  it('skips packages without a rimuru block and folders without a package.json', async () => {
    await writeRawPackage(builtinDir, 'shared-helpers', JSON.stringify({ name: 'shared-helpers', version: '1.0.0' }));
    await fs.mkdir(path.join(builtinDir, 'empty-folder'), { recursive: true });
    await writePlugin(builtinDir, { name: 'real' });
    const { plugins } = await discoverPlugins({ builtinDir });
    expect(plugins.map((p) => p.name)).toEqual(['real']);
  });

  it('turns an invalid manifest into an errored candidate and keeps discovering', async () => {
    await writePlugin(userDir, { name: 'broken', permissions: { nett: [] } });
    await writeRawPackage(userDir, 'garbled', '{ "name": "garbled", ');
    await writePlugin(userDir, { name: 'fine' });
    const { plugins } = await discoverPlugins({ userDir });
    expect(plugins.map((p) => p.name)).toEqual(['broken', 'fine', 'garbled']);
    const broken = plugins.find((p) => p.name === 'broken');
    expect(broken?.manifest).toBeNull();
    expect(broken?.error?.code).toBe('E3001');
    expect(broken?.error?.message).toContain(`${path.join(userDir, 'broken', 'package.json')}: rimuru.permissions.nett: unknown key`);
    const garbled = plugins.find((p) => p.name === 'garbled');
    expect(garbled?.error?.message).toContain('not valid JSON');
    expect(plugins.find((p) => p.name === 'fine')?.error).toBeUndefined();
  });

  it('treats missing plugin dirs as empty', async () => {
    await expect(discoverPlugins({ builtinDir: path.join(root, 'nope'), userDir: path.join(root, 'nada') })).resolves.toEqual({
      plugins: [],
      shadowed: [],
    });
  });

  describe('name clashes', () => {
    it('keeps the built-in when the user copy is not newer, and records the user copy as shadowed', async () => {
      await writePlugin(builtinDir, { name: 'dup', version: '1.2.0' });
      await writePlugin(userDir, { name: 'dup', version: '1.2.0' });
      const { plugins, shadowed } = await discoverPlugins({ builtinDir, userDir });
      expect(plugins).toHaveLength(1);
      expect(plugins[0]).toMatchObject({ name: 'dup', source: 'builtin' });
      expect(shadowed).toHaveLength(1);
      expect(shadowed[0]).toMatchObject({ source: 'user', shadowedBy: { source: 'builtin', version: '1.2.0' } });
      expect(shadowed[0].reason).toContain('user plugin dup@1.2.0');
      expect(shadowed[0].reason).toContain('is shadowed by builtin plugin dup@1.2.0');
    });

    it('lets a strictly newer user copy replace the built-in', async () => {
      await writePlugin(builtinDir, { name: 'dup', version: '1.2.0' });
      await writePlugin(userDir, { name: 'dup', version: '1.3.0' });
      const { plugins, shadowed } = await discoverPlugins({ builtinDir, userDir });
      expect(plugins[0]).toMatchObject({ source: 'user', version: '1.3.0' });
      expect(shadowed[0]).toMatchObject({ source: 'builtin', version: '1.2.0' });
    });

    it('never lets a broken copy win over a valid one', async () => {
      await writePlugin(builtinDir, { name: 'dup', version: '1.0.0' });
      await writePlugin(userDir, { name: 'dup', version: '9.0.0', rimuru: { kind: 'nope' } });
      const { plugins, shadowed } = await discoverPlugins({ builtinDir, userDir });
      expect(plugins[0]).toMatchObject({ source: 'builtin', version: '1.0.0' });
      expect(shadowed[0].error?.code).toBe('E3001');
    });

    it('matches on the package name, not the folder name', async () => {
      await writePlugin(userDir, { name: 'same', version: '1.0.0', folder: 'copy-a' });
      await writePlugin(userDir, { name: 'same', version: '2.0.0', folder: 'copy-b' });
      const { plugins, shadowed } = await discoverPlugins({ userDir });
      expect(plugins.map((p) => [p.name, p.version])).toEqual([['same', '2.0.0']]);
      expect(shadowed.map((p) => p.dir)).toEqual([path.join(userDir, 'copy-a')]);
    });
  });

  it('finds this repository\'s plugins/ folder as the built-in dir', () => {
    expect(defaultBuiltinPluginDir()).toBe(path.resolve(__dirname, '../../../plugins'));
  });
});
