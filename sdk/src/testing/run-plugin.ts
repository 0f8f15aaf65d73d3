import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, PluginError, UsageError } from '../../../kernel/core/errors';
import { parseManifest, type PluginManifest } from '../../../kernel/core/registry/manifest-schema';
import { JsonFileKvStore } from '../../../kernel/services/kv';
import { bundlePlugin } from '../../../sandbox/bundler';
import { createCapabilityHost, type CapabilityHost, type DataSource } from '../../../sandbox/capabilities';
import { PluginSandbox, resolveLimits, type SandboxLimits, type SandboxStats } from '../../../sandbox/isolate';
import type { HookName, HookResult } from '../hooks';
import type { PluginContributes, PluginPermissions } from '../manifest';
import type { PluginDescription } from '../protocol';
import { captureLogs, type CapturedLog } from './log-capture';

/** What to run and in which world. Give `pluginDir` (a plugin package) or `entry` (one source file). */
export interface RunPluginOptions {
  /** A plugin package: its package.json manifest is read and `src/plugin.ts` is bundled. */
  pluginDir?: string;
  /** A plugin source file to bundle; its manifest comes from `pluginDir` when given, else from the options below. */
  entry?: string;
  /**
   * Permissions to grant instead of the manifest's. `$TMP` in any entry is replaced by the
   * temp dir, so `{ 'fs.read': ['$TMP/logs'] }` grants exactly the files the test wrote.
   */
  permissions?: PluginPermissions;
  /** Contributions to use instead of the manifest's (hooks the plugin may handle and emit). */
  contributes?: PluginContributes;
  /** Files to create in the temp dir before the plugin starts, by path relative to it. */
  files?: Record<string, string>;
  /** Limits instead of the manifest's; clamped like the kernel clamps them. */
  limits?: Partial<SandboxLimits>;
  /** The plugin's config section, as `ctx.config` sees it. */
  config?: Record<string, unknown>;
  /** The environment the permission gate and `ctx.env` see. Defaults to `HOME` = temp dir and the real `PATH`. */
  env?: Record<string, string | undefined>;
  /** Kernel data the `data` capability answers from. */
  data?: DataSource;
  /** Run `activate` before returning (default true). */
  activate?: boolean;
}

/** A custom hook the plugin emitted through `ctx.hooks.emit`. */
export interface EmittedHook {
  hook: string;
  payload: unknown;
}

/** The running plugin, as a test drives it. */
export interface TestPluginHandle {
  /** What the bundle says it implements. */
  readonly description: PluginDescription;
  /** True once disposed, by the test or by a broken limit. */
  readonly disposed: boolean;
  /** Calls a plugin method; rejects with the RimuruError the kernel would see (E2006 for a throw, E2004 for a refused permission…). */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  /** Runs the plugin's handler for a hook; a plugin without one answers `skip`. */
  hook(hook: HookName, payload: unknown): Promise<HookResult>;
  activate(): Promise<void>;
  deactivate(): Promise<void>;
  stats(): Promise<SandboxStats>;
  /** Disposes the isolate only; use the run's `dispose` to clean up everything. */
  dispose(reason?: string): void;
}

/** Everything {@link runPlugin} set up. Call `dispose()` when the test is done (e.g. in `afterEach`). */
export interface PluginRun {
  plugin: TestPluginHandle;
  /** The fresh temp dir holding `files`, the plugin's kv store and its home directory. */
  tmpDir: string;
  /** Every log line written for the plugin, in order. */
  logs: CapturedLog[];
  /** Every custom hook the plugin emitted, in order. */
  emitted: EmittedHook[];
  /** The manifest the run used (from the package, or synthesised from the options). */
  manifest: PluginManifest;
  /** Disposes the sandbox and its capabilities and deletes the temp dir. Safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * Runs a plugin the way the kernel does — bundled by the kernel's bundler, in a real isolate
 * with real limits, its capability calls checked against its permissions by the real gate —
 * in a throwaway world: a fresh temp dir with the given files, a kv store in it, and an
 * environment that does not leak the developer's own.
 *
 * @example
 * const run = await runPlugin({ pluginDir: __dirname + '/..', files: { 'a.jsonl': '{"x":1}\n' }, permissions: { 'fs.read': ['$TMP'] } });
 * try {
 *   expect(await run.plugin.invoke('count', run.tmpDir + '/a.jsonl')).toBe(1);
 * } finally {
 *   await run.dispose();
 * }
 */
export async function runPlugin(options: RunPluginOptions): Promise<PluginRun> {
  const entry = resolveEntry(options);
  const bundled = bundlePlugin(entry);
  // realpath: on macOS the temp dir is behind a symlink, and the gate compares resolved paths.
  const tmpDir = await realpath(await mkdtemp(path.join(tmpdir(), 'rimuru-plugin-test-')));
  let sandbox: PluginSandbox | undefined;
  let capabilities: CapabilityHost | undefined;
  const dispose = async (): Promise<void> => {
    sandbox?.dispose('the test run is over');
    await capabilities?.dispose();
    await rm(tmpDir, { recursive: true, force: true });
  };
  try {
    const { code } = await bundled;
    const manifest = await loadManifest(options);
    await writeFiles(tmpDir, options.files ?? {});
    const { logger, logs } = captureLogs();
    const emitted: EmittedHook[] = [];
    const permissions = expandTmp(options.permissions ?? manifest.rimuru.permissions ?? {}, tmpDir);
    capabilities = createCapabilityHost(
      { name: manifest.name, permissions, contributes: options.contributes ?? manifest.rimuru.contributes ?? {} },
      {
        kv: new JsonFileKvStore({ dir: path.join(tmpDir, '.rimuru-kv') }),
        data: options.data,
        emitHook: async (_plugin, hook, payload) => {
          emitted.push({ hook, payload });
        },
        logger,
        env: options.env ?? { HOME: tmpDir, PATH: process.env.PATH },
        homeDir: tmpDir,
      },
    );
    sandbox = await PluginSandbox.start({
      pluginName: manifest.name,
      pluginVersion: manifest.version,
      bundleCode: code,
      limits: resolveLimits({ ...manifest.rimuru.limits, ...options.limits }),
      hostCall: capabilities.call,
      config: options.config ?? {},
      logger,
    });
    if (options.activate !== false) await sandbox.activate();
    return { plugin: handleOf(sandbox), tmpDir, logs, emitted, manifest, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

function resolveEntry(options: RunPluginOptions): string {
  if (options.entry) return path.resolve(options.entry);
  if (!options.pluginDir) {
    throw new UsageError('runPlugin needs `pluginDir` (a plugin package) or `entry` (a plugin source file)');
  }
  const candidates = ['src/plugin.ts', 'src/index.ts'].map((file) => path.resolve(options.pluginDir!, file));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new PluginError(ErrorCodes.PLUGIN_NOT_FOUND, `runPlugin: no plugin source in ${options.pluginDir} (looked for ${candidates.join(', ')})`);
  return found;
}

async function loadManifest(options: RunPluginOptions): Promise<PluginManifest> {
  if (options.pluginDir) {
    const file = path.resolve(options.pluginDir, 'package.json');
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new PluginError(ErrorCodes.MANIFEST_INVALID, `runPlugin: cannot read the manifest ${file}`, { cause });
    }
    return parseManifest(json, file);
  }
  // An entry without a package: a manifest that grants nothing beyond what the options say.
  return parseManifest(
    { name: 'test-plugin', version: '0.0.0', engines: { rimuru: '^1.0.0' }, rimuru: { kind: 'hook' } },
    '(runPlugin options)',
  );
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [relative, text] of Object.entries(files)) {
    const target = path.resolve(root, relative);
    if (path.relative(root, target).startsWith('..') || path.isAbsolute(relative)) {
      throw new UsageError(`runPlugin: file "${relative}" must be a path inside the temp dir`);
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
}

function expandTmp(permissions: PluginPermissions, tmpDir: string): PluginPermissions {
  const expanded: Record<string, unknown> = {};
  for (const [key, entries] of Object.entries(permissions)) {
    expanded[key] = Array.isArray(entries)
      ? entries.map((entry: unknown) => (typeof entry === 'string' ? entry.replace(/\$TMP(?![A-Za-z0-9_])/g, tmpDir) : entry))
      : entries;
  }
  return expanded as PluginPermissions;
}

function handleOf(sandbox: PluginSandbox): TestPluginHandle {
  return {
    get description() {
      return sandbox.description;
    },
    get disposed() {
      return sandbox.disposed;
    },
    invoke: (method, ...args) => sandbox.invoke(method, args),
    hook: (hook, payload) => sandbox.runHook(hook, payload),
    activate: () => sandbox.activate(),
    deactivate: () => sandbox.deactivate(),
    stats: () => sandbox.stats(),
    dispose: (reason) => sandbox.dispose(reason),
  };
}
