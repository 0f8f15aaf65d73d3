/**
 * The plugin manifest: the `rimuru` block of a plugin's package.json. The host reads it
 * without running plugin code, so everything here is plain data.
 */

export const PLUGIN_KINDS = ['adapter', 'exporter', 'notifier', 'view', 'sync', 'mux', 'hook', 'skill'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/**
 * What a plugin may touch. Deny by default: an absent key grants nothing.
 * Paths may start with `~` or `$VAR` (an unset variable drops the entry).
 */
export interface PluginPermissions {
  /** Directories or files the plugin may read (fs capability). */
  'fs.read'?: string[];
  /** Directories or files the plugin may write or append to. */
  'fs.write'?: string[];
  /** Hosts (`api.example.com`, `*.example.com`, `127.0.0.1:8080`) the http and ws capabilities may reach. */
  net?: string[];
  /** Binaries (by name on PATH, or absolute path) the exec capability may run. */
  exec?: string[];
  /** SQLite database files (or directories holding them) the plugin may open read-only. */
  sqlite?: string[];
  /** Environment variables the plugin may read. */
  env?: string[];
  /** Kernel data the plugin may read through the data capability (views, exporters, hooks). */
  data?: Array<'sessions' | 'costs' | 'models' | 'metrics' | 'agents'>;
}

/** Resource limits; the kernel applies its defaults and caps them. */
export interface PluginLimits {
  /** Isolate heap limit in MB. */
  memoryMb?: number;
  /** CPU time a single host → plugin call may take, in ms. */
  callTimeoutMs?: number;
  /** Wall-clock deadline of a single call including awaited host work, in ms. */
  wallTimeoutMs?: number;
}

/** A hook this plugin handles. */
export interface HookContribution {
  hook: string;
  /** Lower runs first. Default 100. */
  priority?: number;
  /** Per-handler timeout in ms. */
  timeoutMs?: number;
}

/** Contribution points, read without executing the plugin (like VS Code's). */
export interface PluginContributes {
  adapters?: Array<{ agentType: string; displayName: string }>;
  exporters?: Array<{ format: string; fileExtension: string }>;
  notifiers?: Array<{ name: string; displayName?: string }>;
  views?: Array<{ id: string; title: string }>;
  sync?: Array<{ provider: string; official?: boolean; priority?: number }>;
  mux?: Array<{ backend: string }>;
  hooks?: HookContribution[];
  /** Custom hook names (without `custom:`) this plugin may emit. */
  emits?: string[];
  commands?: Array<{ id: string; title: string }>;
}

export interface RimuruManifestBlock {
  kind: PluginKind;
  contributes?: PluginContributes;
  permissions?: PluginPermissions;
  limits?: PluginLimits;
  /** Other plugins this one needs, by package name and semver range. */
  dependencies?: Record<string, string>;
  /** Human-readable name shown by `plugin list`. */
  displayName?: string;
}

/** The package.json of a plugin, as far as the kernel cares. */
export interface PluginPackageJson {
  name: string;
  version: string;
  description?: string;
  main?: string;
  engines: { rimuru: string; [engine: string]: string };
  rimuru: RimuruManifestBlock;
}
