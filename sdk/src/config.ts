/**
 * The user-facing configuration of a Rimuru kernel: what `rimuru.config.ts` (or `.rimururc`,
 * `rimuru.config.json`, `package.json#rimuru`, …) may contain. Every field is optional; the
 * kernel fills in defaults and validates the whole file at start-up, naming the key that is wrong.
 *
 * ```ts
 * import { defineConfig } from '@rimuru/sdk';
 * export default defineConfig({ logLevel: 'debug', plugins: { enabled: { 'my-plugin': true } } });
 * ```
 */

/** Log levels, most verbose first. `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where sessions, costs and plugin state are stored. */
export interface DatabaseConfig {
  /**
   * A `postgres://` (or `postgresql://`) URL to share one store across machines, or a
   * `sqlite:` / file path. Unset: an embedded SQLite file in the data dir.
   * Overridden by `RIMURU_DATABASE_URL`.
   */
  url?: string;
  /** Upper bound of the connection pool (PostgreSQL). Default 10. */
  maxConnections?: number;
  /** Connections kept open while idle (PostgreSQL). Default 0. */
  minConnections?: number;
  /** How long to wait for a connection before failing, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** How long an unused pooled connection stays open, in ms. Default 30000. */
  idleTimeoutMs?: number;
}

/** Which plugins run, where installed ones live, and what each is configured with. */
export interface PluginsConfig {
  /**
   * The directory user-installed plugins live in (`<dir>/<name>` or `<dir>/@scope/<name>`).
   * Default `<dataDir>/plugins`. Overridden by `RIMURU_PLUGIN_DIR`.
   */
  dir?: string;
  /**
   * Turn plugins on or off by package name. Built-in plugins are on unless turned off here;
   * user-installed ones are off until turned on here or with `rimuru-kernel plugin enable`.
   * A later `plugin enable`/`plugin disable` takes precedence over this map.
   */
  enabled?: Record<string, boolean>;
  /** Per-plugin settings, by package name, handed to the plugin as its config. */
  config?: Record<string, Record<string, unknown>>;
}

/** Limits applied to every plugin isolate unless its manifest asks for less. */
export interface SandboxDefaults {
  /** Isolate heap limit in MB. Default 64. */
  memoryMb?: number;
  /** CPU time one host → plugin call may take, in ms. Default 10000. */
  callTimeoutMs?: number;
  /** Wall-clock deadline of one call including awaited host work, in ms. Default 30000. */
  wallTimeoutMs?: number;
}

/** How a crashed plugin is restarted. */
export interface SandboxRestartPolicy {
  /** Restarts attempted before the plugin is left errored. Default 3. */
  maxRestarts?: number;
  /** Delay before the first restart, in ms; doubled on each further try. Default 1000. */
  backoffMs?: number;
  /** Ceiling of the restart delay, in ms. Default 30000. */
  maxBackoffMs?: number;
}

export interface SandboxConfig {
  /** Limits for every plugin isolate. */
  defaults?: SandboxDefaults;
  /** Restart policy for plugins that crash or break a limit. */
  restart?: SandboxRestartPolicy;
}

export interface HooksConfig {
  /** Timeout of a hook handler that does not declare its own, in ms. Default 5000. */
  defaultTimeoutMs?: number;
}

/** Per-agent settings, by agent type (`claude-code`, `codex`, …). */
export interface AgentConfig {
  /** Extra directories or files to read this agent's sessions from, besides the adapter's own. */
  paths?: string[];
  /** Set to `false` to stop tracking this agent. Default `true`. */
  enabled?: boolean;
}

/** How the kernel keeps the store current with the agents' logs while it runs. */
export interface IngestConfig {
  /**
   * Seconds between full rescans of every adapter's sources while `rimuru-kernel run` watches
   * them; file-system events bring changes in sooner, the rescan catches any they miss.
   * Default 30.
   */
  rescanIntervalSecs?: number;
  /**
   * On SQLite, write large ingest transactions from a worker thread, so the kernel's thread
   * reads and prices meanwhile: faster with cores to spare, ~150 MB more peak memory on a
   * large first ingest. Default false.
   */
  writerThread?: boolean;
}

export interface ServerConfig {
  /** Port of the HTTP API and dashboard. Default 3030. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  host?: string;
}

export interface RimuruConfig {
  /**
   * Where Rimuru keeps its database, plugin state and installed plugins. `~` is expanded and a
   * relative path is taken from the config file's directory. Default `$XDG_DATA_HOME/rimuru`,
   * else `~/.local/share/rimuru`. Overridden by `RIMURU_DATA_DIR`.
   */
  dataDir?: string;
  /** How much the kernel logs. Default `info`. Overridden by `RIMURU_LOG_LEVEL`. */
  logLevel?: LogLevel;
  /** The store sessions and costs are written to. */
  database?: DatabaseConfig;
  /** Which plugins run and how they are configured. */
  plugins?: PluginsConfig;
  /** Resource limits and restart policy of plugin isolates. */
  sandbox?: SandboxConfig;
  /** Hook bus settings. */
  hooks?: HooksConfig;
  /** Per-agent settings, by agent type. */
  agents?: Record<string, AgentConfig>;
  /** Ingestion of the agents' logs while the kernel runs. */
  ingest?: IngestConfig;
  /** Spending budgets. Passed through unchecked for now; their shape is defined by the budgets service. */
  budgets?: Record<string, unknown>;
  /** The HTTP API and dashboard. */
  server?: ServerConfig;
}

/**
 * Types a config file without changing it: `export default defineConfig({ … })` gives editor
 * completion and type errors for a wrong key or value.
 */
export function defineConfig(config: RimuruConfig): RimuruConfig {
  return config;
}
