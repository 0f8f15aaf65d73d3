import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import { bundlePlugin } from '../../../sandbox/bundler';
import { PluginSandbox, resolveLimits } from '../../../sandbox/isolate';

/** `invokeBatch` on a bundle built with the SDK (which has the invoke-batch feature), in a real isolate. */

const SOURCE = `
import { definePlugin } from '@rimuru/sdk';
export default definePlugin({
  kind: 'skill',
  methods: {
    parse: (input: { lines?: string[]; tag: string }) => ({ tag: input.tag, lines: input.lines ?? null }),
    refuse: () => { throw Object.assign(new Error('fs.read of /etc/passwd is not permitted'), { code: 'E2004' }); },
    spin: () => { for (;;) {} },
  },
});`;

let dir: string;
let bundle: string;
const started: PluginSandbox[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rimuru-batch-'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'plugin.ts'), SOURCE);
  bundle = (await bundlePlugin(path.join(dir, 'src', 'plugin.ts'))).code;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const sandbox of started.splice(0)) sandbox.dispose('test over');
});

async function start(): Promise<PluginSandbox> {
  const sandbox = await PluginSandbox.start({
    pluginName: 'batcher',
    pluginVersion: '1.0.0',
    bundleCode: bundle,
    limits: resolveLimits({ memoryMb: 32, callTimeoutMs: 200, wallTimeoutMs: 10_000 }),
    hostCall: async () => 'null',
    config: {},
  });
  started.push(sandbox);
  await sandbox.activate();
  return sandbox;
}

describe('PluginSandbox.invokeBatch', () => {
  it('answers each call as its own invoke would, in one crossing', async () => {
    const sandbox = await start();
    expect(sandbox.supports('invoke-batch')).toBe(true);
    const calls = [
      { method: 'parse', args: [{ tag: 'a' }], lines: { text: '{"x":1}\n', count: 2 } },
      { method: 'refuse', args: [] },
      { method: 'parse', args: [{ tag: 'b' }], lines: { text: '', count: 0 } },
      { method: 'parse', args: [{ tag: 'c' }] },
      { method: 'parse', args: [{ tag: 'd' }], lines: { text: 'é ✓', count: 1 } },
    ];
    const settled = await sandbox.invokeBatch(calls);
    const one = async (call: (typeof calls)[number]): Promise<unknown> =>
      sandbox.invoke(call.method, call.args, call.lines === undefined ? {} : { lines: call.lines }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    const separately = [];
    for (const call of calls) separately.push(await one(call));
    expect(settled).toEqual(separately);
    expect(settled[0]).toEqual({ value: { tag: 'a', lines: ['{"x":1}', ''] } });
    // A code the plugin claims (E2004) is not trusted unless the host raised it: a plugin error, as for invoke.
    expect((settled[1] as { error: { code: string } }).error.code).toBe(ErrorCodes.PLUGIN_THREW);
  });

  it('settles every call with the failure when the crossing itself fails (a broken CPU limit)', async () => {
    const sandbox = await start();
    const settled = await sandbox.invokeBatch([
      { method: 'parse', args: [{ tag: 'a' }] },
      { method: 'spin', args: [] },
    ]);
    expect(settled).toHaveLength(2);
    for (const outcome of settled) expect((outcome as { error: { code: string } }).error.code).toBe(ErrorCodes.SANDBOX_CPU_TIMEOUT);
    expect(sandbox.disposed).toBe(true);
  });
});
