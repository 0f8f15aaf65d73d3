import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import { rejectionOf, runPlugin, type PluginRun } from '../../../sdk/src/testing';

const SOURCE = `
import { definePlugin } from '@rimuru/sdk';
export default definePlugin({
  kind: 'hook',
  methods: {
    async readFile(file: string, ctx) {
      const { data } = await ctx.fs.read(file);
      ctx.log.info('read a file', { bytes: data.length });
      return data;
    },
    async remember(key: string, value: unknown, ctx) {
      await ctx.kv.set(key, value);
      return ctx.kv.get(key);
    },
    async announce(ctx) {
      await ctx.hooks.emit('announced', { by: ctx.pluginName, region: ctx.config.region });
      return true;
    },
  },
});
`;

let work: string;
const runs: PluginRun[] = [];
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'rimuru-run-plugin-'));
  await mkdir(path.join(work, 'pkg', 'src'), { recursive: true });
  await writeFile(path.join(work, 'pkg', 'src', 'plugin.ts'), SOURCE);
  await writeFile(
    path.join(work, 'pkg', 'package.json'),
    JSON.stringify({
      name: '@acme/reader',
      version: '2.0.0',
      main: 'dist/plugin.js',
      engines: { rimuru: '^1.0.0' },
      rimuru: { kind: 'hook', contributes: { emits: ['announced'] }, permissions: { 'fs.read': ['$TMP/allowed'] } },
    }),
  );
});
afterEach(async () => {
  for (const run of runs.splice(0)) await run.dispose();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(options: Parameters<typeof runPlugin>[0]): Promise<PluginRun> {
  const started = await runPlugin(options);
  runs.push(started);
  return started;
}


describe('runPlugin', () => {
  it('runs a plugin package with its manifest permissions over the files the test wrote', async () => {
    const started = await run({ pluginDir: path.join(work, 'pkg'), files: { 'allowed/a.txt': 'alpha', 'secret/b.txt': 'beta' } });
    expect(started.manifest.name).toBe('@acme/reader');
    expect(started.plugin.description.methods).toEqual(['readFile', 'remember', 'announce']);
    expect(await started.plugin.invoke('readFile', path.join(started.tmpDir, 'allowed/a.txt'))).toBe('alpha');
    const denied = await rejectionOf(started.plugin.invoke('readFile', path.join(started.tmpDir, 'secret/b.txt')));
    expect(denied.code).toBe(ErrorCodes.PERMISSION_DENIED);
    expect(started.plugin.disposed).toBe(false);
  });

  it('lets the options replace the permissions, expanding $TMP', async () => {
    const started = await run({ pluginDir: path.join(work, 'pkg'), files: { 'secret/b.txt': 'beta' }, permissions: { 'fs.read': ['$TMP/secret'] } });
    expect(await started.plugin.invoke('readFile', path.join(started.tmpDir, 'secret/b.txt'))).toBe('beta');
  });

  it('records the logs, kv writes and emitted hooks of the plugin', async () => {
    const started = await run({
      entry: path.join(work, 'pkg', 'src', 'plugin.ts'),
      files: { 'x.txt': 'twelve bytes' },
      permissions: { 'fs.read': ['$TMP'] },
      contributes: { emits: ['announced'] },
      config: { region: 'eu' },
    });
    expect(started.manifest.name).toBe('test-plugin');
    await started.plugin.invoke('readFile', path.join(started.tmpDir, 'x.txt'));
    expect(await started.plugin.invoke('remember', 'k', { n: 1 })).toEqual({ n: 1 });
    expect(await started.plugin.invoke('announce')).toBe(true);
    expect(started.emitted).toEqual([{ hook: 'custom:announced', payload: { by: 'test-plugin', region: 'eu' } }]);
    // Plugin logs are fire-and-forget: give the host a few turns to receive the line.
    for (let turn = 0; turn < 100 && started.logs.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(started.logs).toContainEqual(expect.objectContaining({ level: 'info', msg: 'read a file', plugin: 'test-plugin', fields: { bytes: 12 } }));
    expect(existsSync(path.join(started.tmpDir, '.rimuru-kv'))).toBe(true);
  });

  it('deletes the temp dir on dispose', async () => {
    const started = await runPlugin({ entry: path.join(work, 'pkg', 'src', 'plugin.ts') });
    await started.dispose();
    await started.dispose();
    expect(existsSync(started.tmpDir)).toBe(false);
    expect(started.plugin.disposed).toBe(true);
  });

  it('refuses files outside the temp dir', async () => {
    const error = await rejectionOf(runPlugin({ entry: path.join(work, 'pkg', 'src', 'plugin.ts'), files: { '../escape.txt': 'x' } }));
    expect(error.code).toBe(ErrorCodes.USAGE);
    expect(existsSync(path.join(tmpdir(), 'escape.txt'))).toBe(false);
  });

  it('needs a plugin dir or an entry', async () => {
    expect((await rejectionOf(runPlugin({}))).code).toBe(ErrorCodes.USAGE);
  });
});
