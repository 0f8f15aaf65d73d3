import fs from 'node:fs/promises';
import path from 'node:path';
import { PluginError } from '../../../kernel/core/errors';
import {
  JsonFilePluginStateStore,
  PluginRegistry,
  pluginStateFile,
  type PluginRegistryOptions,
  type PluginStateChangeEvent,
} from '../../../kernel/core/registry';
import { makeTempDir, removeDir, writePlugin } from '../../fixtures/registry/write-plugin';

describe('PluginRegistry', () => {
  let root: string;
  let builtinDir: string;
  let userDir: string;
  let dataDir: string;
  let tick: number;

  beforeEach(async () => {
    root = await makeTempDir();
    builtinDir = path.join(root, 'builtin');
    userDir = path.join(root, 'user');
    dataDir = path.join(root, 'data');
    tick = 0;
  });
  afterEach(() => removeDir(root));

  function registry(options: Partial<PluginRegistryOptions> = {}): PluginRegistry {
    return new PluginRegistry({
      builtinDir,
      userDir,
      stateStore: new JsonFilePluginStateStore(dataDir),
      // A counter instead of the wall clock, so `since` is checkable.
      now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)),
      ...options,
    });
  }

  function states(reg: PluginRegistry): Record<string, string> {
    return Object.fromEntries(reg.list().map((r) => [r.name, r.state]));
  }

  it('enables built-ins and leaves user plugins disabled until the user enables them', async () => {
    await writePlugin(builtinDir, { name: 'builtin-a' });
    await writePlugin(userDir, { name: 'user-b' });
    const reg = registry();
    await reg.discover();
    expect(states(reg)).toEqual({ 'builtin-a': 'enabled', 'user-b': 'disabled' });
    expect(reg.get('user-b')?.reason).toContain('rimuru-kernel plugin enable user-b');
    expect(reg.loadOrder().map((r) => r.name)).toEqual(['builtin-a']);
  });

  it('persists enable/disable across registry instances', async () => {
    await writePlugin(builtinDir, { name: 'builtin-a' });
    await writePlugin(userDir, { name: 'user-b' });
    const first = registry();
    await first.discover();
    await first.enable('user-b');
    await first.disable('builtin-a');
    expect(states(first)).toEqual({ 'builtin-a': 'disabled', 'user-b': 'enabled' });

    const second = registry();
    await second.discover();
    expect(states(second)).toEqual({ 'builtin-a': 'disabled', 'user-b': 'enabled' });
    expect(second.get('builtin-a')?.reason).toBe('disabled by the user (rimuru-kernel plugin disable builtin-a)');
    expect(JSON.parse(await fs.readFile(pluginStateFile(dataDir), 'utf8')).plugins).toEqual({
      'builtin-a': { enabled: false },
      'user-b': { enabled: true },
    });
  });

  it('takes config plugins.enabled as the default and a stored choice over it', async () => {
    await writePlugin(builtinDir, { name: 'builtin-a' });
    await writePlugin(userDir, { name: 'user-b' });
    const configuredEnabled = { 'builtin-a': false, 'user-b': true };
    const reg = registry({ configuredEnabled });
    await reg.discover();
    expect(states(reg)).toEqual({ 'builtin-a': 'disabled', 'user-b': 'enabled' });
    expect(reg.get('builtin-a')?.reason).toContain('plugins.enabled["builtin-a"]');
    await reg.enable('builtin-a');
    await reg.disable('user-b');
    const again = registry({ configuredEnabled });
    await again.discover();
    expect(states(again)).toEqual({ 'builtin-a': 'enabled', 'user-b': 'disabled' });
  });

  it('rejects an unknown name with E3005 listing the known plugins, and persists nothing', async () => {
    await writePlugin(builtinDir, { name: 'alpha' });
    await writePlugin(builtinDir, { name: 'beta' });
    const reg = registry();
    await reg.discover();
    const error = await reg.enable('gamma').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).code).toBe('E3005');
    expect((error as PluginError).message).toBe('No plugin named gamma. Known plugins: alpha, beta');
    await expect(fs.stat(pluginStateFile(dataDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('disables a plugin whose engines range excludes this kernel, naming both versions (E3002)', async () => {
    await writePlugin(builtinDir, { name: 'future', version: '3.1.0', engines: '^2.0.0' });
    const reg = registry({ kernelApiVersion: '1.4.0' });
    await reg.discover();
    expect(reg.get('future')).toMatchObject({
      state: 'disabled',
      reasonCode: 'E3002',
      reason: 'future@3.1.0 requires kernel API ^2.0.0, but this kernel implements 1.4.0',
    });
    // Enabling stores the wish but cannot override the engines check.
    await reg.enable('future');
    expect(reg.get('future')?.reasonCode).toBe('E3002');
  });

  it('disables dependents of a missing, incompatible or disabled dependency, transitively', async () => {
    await writePlugin(builtinDir, { name: 'base', version: '1.5.0' });
    await writePlugin(builtinDir, { name: 'mid', dependencies: { base: '^1.0.0' } });
    await writePlugin(builtinDir, { name: 'top', dependencies: { mid: '^1.0.0' } });
    await writePlugin(builtinDir, { name: 'wants-new-base', dependencies: { base: '^2.0.0' } });
    await writePlugin(builtinDir, { name: 'orphan', dependencies: { 'not-installed': '^1.0.0' } });
    const reg = registry();
    await reg.discover();
    expect(states(reg)).toEqual({
      base: 'enabled',
      mid: 'enabled',
      top: 'enabled',
      'wants-new-base': 'disabled',
      orphan: 'disabled',
    });
    expect(reg.get('wants-new-base')?.reason).toBe('requires base@^2.0.0, but base@1.5.0 is installed');
    expect(reg.get('orphan')).toMatchObject({ reasonCode: 'E3003', reason: 'requires not-installed@^1.0.0, which is not installed' });
    expect(reg.loadOrder().map((r) => r.name)).toEqual(['base', 'mid', 'top']);

    await reg.disable('base');
    expect(states(reg)).toMatchObject({ base: 'disabled', mid: 'disabled', top: 'disabled' });
    expect(reg.get('top')?.reasonCode).toBe('E3003');

    // Turning the dependency back on brings its dependents back.
    await reg.enable('base');
    expect(states(reg)).toMatchObject({ base: 'enabled', mid: 'enabled', top: 'enabled' });
  });

  it('disables a dependency cycle with E3004', async () => {
    await writePlugin(builtinDir, { name: 'ping', dependencies: { pong: '*' } });
    await writePlugin(builtinDir, { name: 'pong', dependencies: { ping: '*' } });
    const reg = registry();
    await reg.discover();
    expect(reg.get('ping')).toMatchObject({ state: 'disabled', reasonCode: 'E3004', reason: 'dependency cycle: ping → pong → ping' });
    expect(reg.get('pong')?.reasonCode).toBe('E3004');
    expect(reg.loadOrder()).toEqual([]);
  });

  it('lists a malformed plugin as errored with the reason, and a dependent of it as disabled', async () => {
    await writePlugin(userDir, { name: 'bad', limits: { memoryMb: 'lots' } });
    await writePlugin(builtinDir, { name: 'needs-bad', dependencies: { bad: '*' } });
    const reg = registry();
    await reg.discover();
    expect(reg.get('bad')).toMatchObject({ state: 'errored', reasonCode: 'E3001', manifest: null });
    expect(reg.get('bad')?.reason).toContain('rimuru.limits.memoryMb: expected a number, got "lots"');
    expect(reg.get('needs-bad')).toMatchObject({ state: 'disabled', reasonCode: 'E3003' });
    // A plugin without a valid manifest can never be started.
    expect(() => reg.setState('bad', 'enabled')).toThrow(/has no valid manifest/);
  });

  it('exposes shadowed packages separately from the plugin list', async () => {
    await writePlugin(builtinDir, { name: 'dup', version: '2.0.0' });
    await writePlugin(userDir, { name: 'dup', version: '1.0.0' });
    const reg = registry();
    await reg.discover();
    expect(reg.list().map((r) => [r.name, r.source, r.state])).toEqual([['dup', 'builtin', 'enabled']]);
    expect(reg.listShadowed().map((r) => [r.name, r.source, r.state, r.reasonCode])).toEqual([
      ['dup', 'user', 'disabled', 'E3006'],
    ]);
  });

  it('keeps a newer user copy of a built-in disabled until the user enables it', async () => {
    await writePlugin(builtinDir, { name: 'dup', version: '1.0.0' });
    await writePlugin(userDir, { name: 'dup', version: '1.1.0' });
    const reg = registry();
    await reg.discover();
    expect(reg.get('dup')).toMatchObject({ source: 'user', state: 'disabled' });
    await reg.enable('dup');
    expect(reg.get('dup')).toMatchObject({ source: 'user', state: 'enabled', version: '1.1.0' });
  });

  describe('lifecycle states', () => {
    it('walks enabled → loaded → running and refuses an illegal jump with E3008', async () => {
      await writePlugin(builtinDir, { name: 'p' });
      const reg = registry();
      await reg.discover();
      expect(() => reg.setState('p', 'running')).toThrow(expect.objectContaining({ code: 'E3008' }));
      expect(reg.setState('p', 'loaded').state).toBe('loaded');
      expect(reg.setState('p', 'running').state).toBe('running');
    });

    it('disables running dependents when a dependency is quarantined, and restores them on retry', async () => {
      await writePlugin(builtinDir, { name: 'lib' });
      await writePlugin(builtinDir, { name: 'app', dependencies: { lib: '*' } });
      const reg = registry();
      await reg.discover();
      for (const name of ['lib', 'app']) {
        reg.setState(name, 'loaded');
        reg.setState(name, 'running');
      }
      reg.setState('lib', 'quarantined', 'exceeded its memory limit', 'E2001');
      expect(reg.get('lib')).toMatchObject({ state: 'quarantined', reasonCode: 'E2001' });
      expect(reg.get('app')).toMatchObject({ state: 'disabled', reasonCode: 'E3003' });
      expect(reg.get('app')?.reason).toContain('quarantined: exceeded its memory limit');

      await reg.enable('lib');
      expect(states(reg)).toEqual({ lib: 'enabled', app: 'enabled' });
    });

    it('holds a plugin disabled by the lifecycle until enable(), without persisting it', async () => {
      await writePlugin(builtinDir, { name: 'p' });
      const reg = registry();
      await reg.discover();
      reg.setState('p', 'disabled', 'restarts exhausted', 'E3007');
      await reg.disable('p');
      await reg.enable('p');
      expect(reg.get('p')?.state).toBe('enabled');
      reg.setState('p', 'disabled', 'restarts exhausted', 'E3007');
      const fresh = registry();
      await fresh.discover();
      expect(fresh.get('p')?.state).toBe('enabled');
    });
  });

  it('reports every state change to listeners, in order, and survives a throwing listener', async () => {
    await writePlugin(builtinDir, { name: 'p' });
    const seen: PluginStateChangeEvent[] = [];
    const listenerErrors: unknown[] = [];
    const reg = registry({ onListenerError: (error) => listenerErrors.push(error) });
    reg.onStateChange(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = reg.onStateChange((event) => seen.push(event));
    await reg.discover();
    await reg.disable('p');
    unsubscribe();
    await reg.enable('p');
    expect(seen.map((e) => [e.name, e.from, e.to])).toEqual([
      ['p', null, 'installed'],
      ['p', 'installed', 'enabled'],
      ['p', 'enabled', 'disabled'],
    ]);
    expect(seen[2].record.since).toEqual(new Date(Date.UTC(2025, 0, 1, 0, 0, 2)));
    expect(listenerErrors).toHaveLength(4);
    expect(reg.get('p')?.state).toBe('enabled');
  });

  it('serialises concurrent enable/disable so the stored state matches the last call', async () => {
    await writePlugin(userDir, { name: 'a' });
    await writePlugin(userDir, { name: 'b' });
    const reg = registry();
    await reg.discover();
    await Promise.all([reg.enable('a'), reg.enable('b'), reg.disable('a')]);
    const stored = await new JsonFilePluginStateStore(dataDir).load();
    expect(stored).toEqual({ a: { enabled: false }, b: { enabled: true } });
    expect(states(reg)).toEqual({ a: 'disabled', b: 'enabled' });
  });

  it('never executes plugin code', async () => {
    const marker = path.join(root, 'executed');
    await writePlugin(builtinDir, {
      name: 'trap',
      bundle: `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`,
    });
    const reg = registry();
    await reg.discover();
    await reg.enable('trap');
    reg.loadOrder();
    await expect(fs.stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
