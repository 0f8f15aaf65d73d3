import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig, type ResolvedConfig } from '../../../kernel/config';
import { dependencyLevels, Kernel } from '../../../kernel/core/lifecycle';
import type { PluginRecord } from '../../../kernel/core/registry';
import { createLogger } from '../../../kernel/core/logging';
import { Database, databaseOptionsFromConfig } from '../../../kernel/services/storage';
import { DatabaseKvStore } from '../../../kernel/services/storage/stores';
import { SessionRepository } from '../../../kernel/services/storage/repositories';
import type { RimuruConfig } from '../../../sdk/src/config';
import { writeSdkPlugin } from '../../fixtures/kernel/sdk-plugin';
import { writePlugin } from '../../fixtures/registry/write-plugin';

/**
 * The kernel end to end in one process: real registry discovery over plugin folders, real
 * bundles in real isolates, the real hook bus. Each test builds its own plugins dir.
 */

const GOOD = `
import { defineHookPlugin, type PluginContext } from '@rimuru/sdk';
export default defineHookPlugin({
  async activate(ctx) { await ctx.kv.set('activated', true); },
  async deactivate(ctx) { await ctx.kv.set('deactivated', true); },
  hooks: {
    async KernelReady(payload, ctx) { await ctx.kv.set('ready', payload); },
  },
  methods: { ping: (n: number, ctx: PluginContext) => ({ pong: n, plugin: ctx.pluginName }) },
});`;

const LOOPS_ON_READY = `
import { defineHookPlugin } from '@rimuru/sdk';
export default defineHookPlugin({ hooks: { KernelReady() { for (;;) {} } } });`;

const hookOn = (hook: string, timeoutMs?: number) => ({ hooks: [{ hook, ...(timeoutMs ? { timeoutMs } : {}) }] });

let tmp: string;
let pluginsDir: string;
let kernel: Kernel | undefined;
const logLines: string[] = [];

function configFor(overrides: RimuruConfig = {}): ResolvedConfig {
  return resolveConfig(
    { dataDir: path.join(tmp, 'data'), plugins: { dir: path.join(tmp, 'user-plugins') }, ...overrides },
    { cwd: tmp, env: {}, homeDir: tmp },
  );
}

async function boot(overrides: RimuruConfig = {}, options: Pick<Parameters<typeof Kernel.boot>[0], 'startOnly' | 'startOnUse'> = {}): Promise<Kernel> {
  const capture = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
  kernel = await Kernel.boot({
    config: configFor(overrides),
    logger: createLogger({ level: 'debug', pretty: false, destination: capture }),
    builtinPluginDir: pluginsDir,
    env: {},
    homeDir: tmp,
    ...options,
  });
  return kernel;
}

/** A plugin's kv entries as another process would see them: a fresh connection to the kernel's store. */
async function kvOf(plugin: string): Promise<Record<string, unknown>> {
  const db = await Database.connect(databaseOptionsFromConfig(configFor()));
  try {
    const store = new DatabaseKvStore(db.knex);
    const entries: Record<string, unknown> = {};
    for (const key of await store.keys(plugin)) entries[key] = await store.get(plugin, key);
    return entries;
  } finally {
    await db.close();
  }
}

/** The states a plugin went through, read from the kernel's debug log. */
function statesOf(plugin: string): string[] {
  return logLines
    .map((line) => JSON.parse(line) as { msg?: string; plugin?: string; to?: string })
    .filter((entry) => entry.msg === 'plugin state' && entry.plugin === plugin)
    .map((entry) => entry.to!);
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rimuru-kernel-'));
  pluginsDir = path.join(tmp, 'plugins');
  logLines.length = 0;
});

afterEach(async () => {
  await kernel?.shutdown('test over');
  kernel = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('Kernel', () => {
  it('boots, activates a plugin, runs its KernelReady handler and reports counts', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'good', contributes: hookOn('KernelReady'), source: GOOD });
    await writePlugin(pluginsDir, { name: 'off', bundle: 'x', extra: {} });
    const k = await boot({ plugins: { enabled: { off: false } } });
    expect(k.registry.get('good')?.state).toBe('running');
    expect(k.registry.get('off')?.state).toBe('disabled');
    expect(k.summary()).toMatchObject({ discovered: 2, running: 1, disabled: 1 });
    const kv = await kvOf('good');
    expect(kv.activated).toBe(true);
    expect(kv.ready).toEqual({ plugins: 2, running: 1 });
    expect(await k.plugin('good')!.live!.invoke('ping', [7])).toEqual({ pong: 7, plugin: 'good' });
  });

  it('deactivates plugins on shutdown and leaves them enabled for the next boot', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'good', contributes: hookOn('KernelReady'), source: GOOD });
    const k = await boot();
    await k.shutdown('SIGINT');
    await k.shutdown('again');
    expect((await kvOf('good')).deactivated).toBe(true);
    expect(k.registry.get('good')?.state).toBe('enabled');
  });

  it('quarantines a plugin that loops in a hook, restarts it with backoff, then gives up — the good plugin keeps answering', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'good', contributes: hookOn('KernelReady'), source: GOOD });
    await writeSdkPlugin(pluginsDir, {
      name: 'looper',
      contributes: hookOn('KernelReady'),
      limits: { callTimeoutMs: 100, wallTimeoutMs: 200 },
      source: LOOPS_ON_READY,
    });
    const k = await boot({ sandbox: { restart: { maxRestarts: 1, backoffMs: 10, maxBackoffMs: 10 } } });
    const looper = () => k.registry.get('looper');
    // Breach → quarantined → restarted (KernelReady is not emitted again, so it stays up).
    await until(() => statesOf('looper').filter((s) => s === 'running').length === 2, 'the looper to be restarted');
    // A second breach uses up the single restart.
    await k.hookBus.emitSeries('KernelReady', { plugins: 2, running: 2 });
    await until(() => looper()?.state === 'quarantined', 'the looper to be quarantined again');
    await new Promise((r) => setTimeout(r, 100));
    expect(statesOf('looper')).toEqual([
      'installed', 'enabled', 'loaded', 'running', 'quarantined', 'enabled', 'loaded', 'running', 'quarantined',
    ]);
    expect(looper()?.reasonCode).toMatch(/^E200[23]$/);
    expect(looper()?.reason).toMatch(/gave up after 1 restarts/);
    expect(await k.plugin('good')!.live!.invoke('ping', [1])).toEqual({ pong: 1, plugin: 'good' });
  });

  it('marks a plugin whose bundle is missing as errored and disables its dependents with the reason', async () => {
    await writePlugin(pluginsDir, { name: 'base', bundle: null });
    await writeSdkPlugin(pluginsDir, { name: 'dependent', dependencies: { base: '^1.0.0' }, source: GOOD });
    const k = await boot();
    expect(k.registry.get('base')?.state).toBe('errored');
    expect(k.registry.get('base')?.reason).toMatch(/bundle .* cannot be read|not built|bundle/);
    expect(k.registry.get('dependent')?.state).toBe('disabled');
    expect(k.registry.get('dependent')?.reason).toMatch(/base/);
  });

  it('starts only what startOnly picks, with the plugins those depend on (a report does not start every exporter)', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'base', source: GOOD });
    await writeSdkPlugin(pluginsDir, { name: 'dependent', dependencies: { base: '^1.0.0' }, source: GOOD });
    await writeSdkPlugin(pluginsDir, { name: 'loner', source: GOOD });
    kernel = await boot({}, { startOnly: (record) => record.name === 'dependent' });
    expect(kernel.registry.get('dependent')?.state).toBe('running');
    expect(kernel.registry.get('base')?.state).toBe('running');
    expect(kernel.registry.get('loner')?.state).toBe('enabled');
    expect(kernel.plugin('loner')).toBeUndefined();
  });

  it('with startOnUse, starts a plugin when first used: a hook it declares emitted, or a call; each emission handled once', async () => {
    const counting = `
      import { defineHookPlugin } from '@rimuru/sdk';
      export default defineHookPlugin({
        hooks: { async SessionStart(payload, ctx) { await ctx.kv.set('seen', ((await ctx.kv.get('seen')) ?? 0) + 1); } },
        methods: { ping: () => 'pong' },
      });`;
    await writeSdkPlugin(pluginsDir, { name: 'on-session', contributes: hookOn('SessionStart'), source: counting });
    await writeSdkPlugin(pluginsDir, { name: 'on-ready', contributes: hookOn('KernelReady'), source: GOOD });
    await writeSdkPlugin(pluginsDir, { name: 'called', source: GOOD });
    kernel = await boot({}, { startOnUse: true });
    // KernelReady was emitted at the end of the boot: its handler's plugin started for it.
    expect(kernel.registry.get('on-ready')?.state).toBe('running');
    expect(kernel.registry.get('on-session')?.state).toBe('enabled');
    expect(kernel.registry.get('called')?.state).toBe('enabled');

    const payload = { sessionId: 's1', agentType: 'codex', startedAt: '2026-11-21T10:00:00.000Z' };
    await kernel.hookBus.emitParallel('SessionStart', payload);
    await kernel.hookBus.emitParallel('SessionStart', payload);
    expect(kernel.registry.get('on-session')?.state).toBe('running');
    expect(statesOf('on-session')).toEqual(['installed', 'enabled', 'loaded', 'running']);

    expect(await kernel.plugin('called')!.usable!.invoke('ping', [3])).toEqual({ pong: 3, plugin: 'called' });
    expect(kernel.registry.get('called')?.state).toBe('running');
    await kernel.shutdown('test over');
    kernel = undefined;
    expect(await kvOf('on-session')).toEqual({ seen: 2 });
    expect(await kvOf('on-ready')).toMatchObject({ activated: true, ready: expect.objectContaining({ plugins: 3 }) });
  });

  it('starts a dependency before its dependents', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'base', source: GOOD });
    await writeSdkPlugin(pluginsDir, { name: 'dependent', dependencies: { base: '^1.0.0' }, source: GOOD });
    await writeSdkPlugin(pluginsDir, { name: 'loner', source: GOOD });
    const k = await boot();
    expect(k.summary()).toMatchObject({ discovered: 3, running: 3 });
    const transitions = logLines
      .map((line) => JSON.parse(line) as { msg?: string; plugin?: string; to?: string })
      .filter((entry) => entry.msg === 'plugin state' && (entry.to === 'loaded' || entry.to === 'running'))
      .map((entry) => `${entry.plugin}:${entry.to}`);
    expect(transitions.indexOf('base:running')).toBeLessThan(transitions.indexOf('dependent:loaded'));
  });

  it('answers the data capability from the store for the kinds a manifest lists, and refuses the rest', async () => {
    const reader = `
      import { definePlugin, type PluginContext } from '@rimuru/sdk';
      export default definePlugin({ kind: 'view', methods: {
        sessions: (ctx: PluginContext) => ctx.data.query('sessions', { limit: 10 }),
        costs: (ctx: PluginContext) => ctx.data.query('costs', {}),
        bad: (ctx: PluginContext) => ctx.data.query('sessions', { colour: 'red' }),
      } });`;
    await writeSdkPlugin(pluginsDir, { name: 'reader', kind: 'view', permissions: { data: ['sessions'] }, source: reader });
    const k = await boot();
    const db = await Database.connect(databaseOptionsFromConfig(configFor()));
    try {
      await new SessionRepository(db).save({ id: 'codex:s1', agentId: 'codex', agentType: 'codex', externalId: 's1', startedAt: Date.UTC(2026, 10, 20), projectPath: '/p' });
    } finally {
      await db.close();
    }
    const sandbox = k.plugin('reader')!.live!;
    expect(await sandbox.invoke('sessions', [])).toEqual([expect.objectContaining({ id: 'codex:s1', agentType: 'codex', projectPath: '/p' })]);
    await expect(sandbox.invoke('costs', [])).rejects.toMatchObject({ code: 'E2004' });
    await expect(sandbox.invoke('bad', [])).rejects.toMatchObject({ code: 'E2010' });
  });

  it('refuses a bundle whose kind differs from its manifest', async () => {
    await writeSdkPlugin(pluginsDir, { name: 'liar', kind: 'exporter', source: GOOD });
    const k = await boot();
    expect(k.registry.get('liar')?.state).toBe('errored');
    expect(k.registry.get('liar')?.reason).toMatch(/manifest says kind "exporter" but its bundle defines a "hook" plugin/);
  });

  it('errors a plugin whose activate throws and keeps booting the rest', async () => {
    await writeSdkPlugin(pluginsDir, {
      name: 'bad-activate',
      source: `import { defineHookPlugin } from '@rimuru/sdk';
        export default defineHookPlugin({ activate() { throw new Error('no config'); }, hooks: {} });`,
      limits: {},
    });
    await writeSdkPlugin(pluginsDir, { name: 'good', contributes: hookOn('KernelReady'), source: GOOD });
    const k = await boot({ sandbox: { restart: { maxRestarts: 0 } } });
    expect(k.registry.get('bad-activate')?.state).toBe('errored');
    expect(k.registry.get('bad-activate')?.reason).toMatch(/no config/);
    expect(k.registry.get('good')?.state).toBe('running');
  });
});

describe('dependencyLevels', () => {
  const rec = (name: string, dependencies: Record<string, string> = {}) =>
    ({ name, manifest: { rimuru: { dependencies } } }) as unknown as PluginRecord;

  it('puts plugins that need nothing from each other in one level, dependents after what they need', () => {
    const levels = dependencyLevels([rec('a'), rec('x'), rec('b', { a: '^1' }), rec('c', { b: '^1', x: '^1' }), rec('y')]);
    expect(levels.map((level) => level.map((r) => r.name))).toEqual([['a', 'x', 'y'], ['b'], ['c']]);
  });
});
