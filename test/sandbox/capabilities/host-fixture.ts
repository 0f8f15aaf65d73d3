import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { JsonFileKvStore } from '../../../kernel/services/kv';
import { createCapabilityHost, type CapabilityHost, type CapabilityLimits, type DataSource } from '../../../sandbox/capabilities';
import type { PluginContributes, PluginPermissions } from '../../../sdk/src/manifest';

export interface HostFixtureOptions {
  plugin?: string;
  permissions?: PluginPermissions;
  contributes?: PluginContributes;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  limits?: Partial<CapabilityLimits>;
  data?: DataSource;
  /** A temp dir to reuse (so two hosts can share a kv directory). */
  baseDir?: string;
}

export interface HostFixture {
  host: CapabilityHost;
  /** Calls the host the way the SDK does and decodes the JSON answer. */
  call<T = unknown>(capability: string, method: string, args: Record<string, unknown>): Promise<T>;
  logs: Array<Record<string, unknown>>;
  emitted: Array<{ plugin: string; hook: string; payload: unknown }>;
  /** A real temp directory (its real path) owned by this fixture. */
  dir: string;
  dispose(): Promise<void>;
}

export async function makeTempDir(prefix: string): Promise<string> {
  return fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), prefix)));
}

/** A capability host wired to real services: a JSON kv store in a temp dir and a pino logger into memory. */
export async function makeHost(options: HostFixtureOptions = {}): Promise<HostFixture> {
  const dir = options.baseDir ?? (await makeTempDir('rimuru-cap-'));
  const logs: Array<Record<string, unknown>> = [];
  const emitted: HostFixture['emitted'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const host = createCapabilityHost(
    { name: options.plugin ?? 'test-plugin', permissions: options.permissions ?? {}, contributes: options.contributes ?? {} },
    {
      kv: new JsonFileKvStore({ dir: path.join(dir, '.kv') }),
      data: options.data,
      emitHook: async (plugin, hook, payload) => {
        emitted.push({ plugin, hook, payload });
      },
      logger,
      env: options.env ?? { PATH: process.env.PATH },
      homeDir: options.homeDir ?? dir,
      limits: options.limits,
    },
  );
  return {
    host,
    async call<T>(capability: string, method: string, args: Record<string, unknown>): Promise<T> {
      return JSON.parse(await host.call(capability, method, JSON.stringify(args))) as T;
    },
    logs,
    emitted,
    dir,
    async dispose() {
      await host.dispose();
      if (options.baseDir === undefined) await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
