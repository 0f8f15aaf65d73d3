import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '../../kernel/core/logging';
import { JsonFileKvStore } from '../../kernel/services/kv';
import { bundlePlugin } from '../../sandbox/bundler';
import { createCapabilityHost, type CapabilityHost } from '../../sandbox/capabilities';
import { DEFAULT_LIMITS, PluginSandbox, resolveLimits, type SandboxLimits } from '../../sandbox/isolate';
import { makeTempDir, removeDir } from '../fixtures/registry/write-plugin';

/** The hook the dispatch benchmark emits; the bench plugin handles it with Continue. */
export const BENCH_HOOK = 'custom:bench';

/**
 * The plugin the sandbox benchmarks drive: built with the SDK and the kernel's own bundler,
 * like any real plugin. `echo` measures host → plugin calls, the loops measure plugin → host
 * calls (`n` awaited capability calls per invoke), `custom:bench` measures hook dispatch.
 */
export const BENCH_PLUGIN_SOURCE = `
import { defineHookPlugin, type PluginContext } from '@rimuru/sdk';

export default defineHookPlugin({
  hooks: {
    '${BENCH_HOOK}': () => undefined,
  },
  methods: {
    echo: (value: unknown) => value,
    async homeLoop(n: number, ctx: PluginContext) {
      let last = '';
      for (let i = 0; i < n; i += 1) last = await ctx.env.home();
      return last;
    },
    async kvGetLoop(n: number, ctx: PluginContext) {
      let last: unknown;
      for (let i = 0; i < n; i += 1) last = await ctx.kv.get('bench');
      return last;
    },
  },
});
`;

export const BENCH_PLUGIN_NAME = 'bench-plugin';

/**
 * A bundled bench plugin plus what a sandbox needs to run it: a temp home and kv dir, a silent
 * logger, and a real capability host per sandbox (as the plugin runner builds one per start).
 */
export class BenchPluginFixture {
  readonly limits: SandboxLimits = resolveLimits({});
  readonly logger: Logger = createLogger({ level: 'silent', pretty: false });
  readonly kv: JsonFileKvStore;

  private constructor(
    readonly dir: string,
    readonly bundleCode: string,
  ) {
    this.kv = new JsonFileKvStore({ dir: path.join(dir, 'kv') });
  }

  static async create(): Promise<BenchPluginFixture> {
    const dir = await makeTempDir('rimuru-bench-');
    const entry = path.join(dir, 'src', 'plugin.ts');
    await fs.mkdir(path.dirname(entry), { recursive: true });
    await fs.writeFile(entry, BENCH_PLUGIN_SOURCE);
    const { code } = await bundlePlugin(entry);
    return new BenchPluginFixture(dir, code);
  }

  capabilityHost(): CapabilityHost {
    return createCapabilityHost(
      { name: BENCH_PLUGIN_NAME, permissions: {}, contributes: { hooks: [{ hook: BENCH_HOOK }] } },
      { kv: this.kv, emitHook: async () => undefined, logger: this.logger, env: {}, homeDir: this.dir },
    );
  }

  /** `PluginSandbox.start` with the plugin's capability host; `activate` is left to the caller. */
  start(host: CapabilityHost): Promise<PluginSandbox> {
    return PluginSandbox.start({
      pluginName: BENCH_PLUGIN_NAME,
      pluginVersion: '1.0.0',
      bundleCode: this.bundleCode,
      limits: this.limits,
      hostCall: host.call,
      config: {},
      logger: this.logger,
    });
  }

  /** A started and activated sandbox, with the function that stops it again. */
  async running(): Promise<{ sandbox: PluginSandbox; stop(): Promise<void> }> {
    const host = this.capabilityHost();
    const sandbox = await this.start(host);
    await sandbox.activate();
    return {
      sandbox,
      async stop() {
        sandbox.dispose('benchmark done');
        await host.dispose();
      },
    };
  }

  async cleanup(): Promise<void> {
    await removeDir(this.dir);
  }
}

/** The heap limit baselines give their bare isolates: the one a plugin gets by default. */
export const BASELINE_MEMORY_MB = DEFAULT_LIMITS.memoryMb;
