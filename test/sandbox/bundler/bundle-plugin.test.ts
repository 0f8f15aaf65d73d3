import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import { bundlePlugin, defaultSdkEntry } from '../../../sandbox/bundler';
import { PluginSandbox, resolveLimits } from '../../../sandbox/isolate';
import { BUNDLE_GLOBAL } from '../../../sdk/src/protocol';
import { rejectionOf } from '../../../sdk/src/testing';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rimuru-bundler-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}


describe('bundlePlugin', () => {
  it('bundles a TypeScript plugin, its local modules, its npm dependencies and the SDK into one script the sandbox runs', async () => {
    await write({
      'src/plugin.ts': `
        import { definePlugin } from '@rimuru/sdk';
        import { greet } from './greet';
        import { shout } from 'shouty';
        export default definePlugin({ kind: 'hook', methods: { hello: (name: string) => shout(greet(name)) } });`,
      'src/greet.ts': `export const greet = (name: string): string => 'hello ' + name;`,
      'node_modules/shouty/package.json': JSON.stringify({ name: 'shouty', version: '1.0.0', main: 'index.js' }),
      'node_modules/shouty/index.js': `exports.shout = (s) => s.toUpperCase() + '!';`,
    });
    const { code } = await bundlePlugin(path.join(dir, 'src/plugin.ts'));
    expect(code).toContain(`var ${BUNDLE_GLOBAL} =`);
    const sandbox = await PluginSandbox.start({
      pluginName: 'bundled',
      pluginVersion: '1.0.0',
      bundleCode: code,
      limits: resolveLimits({}),
      hostCall: async () => 'null',
      config: {},
    });
    try {
      expect(sandbox.description).toEqual({ kind: 'hook', methods: ['hello'], hooks: [], features: ['lines-payload', 'invoke-batch'] });
      await sandbox.activate();
      expect(await sandbox.invoke('hello', ['rimuru'])).toBe('HELLO RIMURU!');
    } finally {
      sandbox.dispose('test over');
    }
  });

  it('also writes the bundle to outfile, creating its directory', async () => {
    await write({ 'src/plugin.ts': `import { definePlugin } from '@rimuru/sdk'; export default definePlugin({ kind: 'hook' });` });
    const outfile = path.join(dir, 'dist', 'nested', 'plugin.js');
    const { code } = await bundlePlugin(path.join(dir, 'src/plugin.ts'), { outfile });
    expect(await readFile(outfile, 'utf8')).toBe(code);
  });

  it.each([
    ['fs', `import { readFileSync } from 'fs'; export default readFileSync;`],
    ['node:child_process', `import { exec } from 'node:child_process'; export default exec;`],
    ['path', `const path = require('path'); export default path;`],
  ])('refuses the Node built-in "%s", naming the plugin file and what to use instead', async (builtin, source) => {
    await write({ 'src/plugin.ts': source });
    const error = await rejectionOf(bundlePlugin(path.join(dir, 'src/plugin.ts')));
    expect(error.code).toBe(ErrorCodes.SANDBOX_BAD_BUNDLE);
    expect(error.message).toContain(path.join(dir, 'src/plugin.ts'));
    expect(error.message).toContain(`"${builtin}" is a Node.js built-in`);
    expect(error.message).toContain('ctx.fs');
  });

  it('lets an installed npm package shadow a built-in name', async () => {
    await write({
      'src/plugin.ts': `import { definePlugin } from '@rimuru/sdk'; import { ping } from 'events'; export default definePlugin({ kind: 'hook', methods: { ping } });`,
      'node_modules/events/package.json': JSON.stringify({ name: 'events', version: '3.3.0', main: 'events.js' }),
      'node_modules/events/events.js': `exports.ping = () => 'pong';`,
    });
    const { code } = await bundlePlugin(path.join(dir, 'src/plugin.ts'));
    expect(code).toContain('"pong"');
  });

  it('refuses to bundle the host-side testing harness into a plugin', async () => {
    await write({ 'src/plugin.ts': `import { runPlugin } from '@rimuru/sdk/testing'; export default runPlugin;` });
    const error = await rejectionOf(bundlePlugin(path.join(dir, 'src/plugin.ts')));
    expect(error.code).toBe(ErrorCodes.SANDBOX_BAD_BUNDLE);
    expect(error.message).toContain('"@rimuru/sdk/testing" cannot be bundled into a plugin');
  });

  it('reports a syntax error with its file and line', async () => {
    await write({ 'src/plugin.ts': `export default {\n  broken: (,\n};` });
    const error = await rejectionOf(bundlePlugin(path.join(dir, 'src/plugin.ts')));
    expect(error.code).toBe(ErrorCodes.SANDBOX_BAD_BUNDLE);
    expect(error.message).toMatch(/src\/plugin\.ts:2:\d+/);
  });

  it('reports a missing entry file', async () => {
    const error = await rejectionOf(bundlePlugin(path.join(dir, 'src/missing.ts')));
    expect(error.code).toBe(ErrorCodes.SANDBOX_BAD_BUNDLE);
    expect(error.message).toContain('missing.ts');
  });

  it("points @rimuru/sdk at this repository's SDK source", () => {
    expect(defaultSdkEntry()).toBe(path.resolve(__dirname, '../../../sdk/src/index.ts'));
  });
});
