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

/** Sends notifications of some events, at some levels, to some notifiers. */
export interface NotificationRoute {
  /** The notifications' source hooks (`CostThreshold`, `SessionEnd`, …), or `*` for any. */
  events: string[];
  /** Notifier names (`slack`, `discord`, `webhook`) or plugin package names, or `*` for every one. */
  notifiers: string[];
  /** Only these levels. Default: every level. */
  levels?: Array<'info' | 'warning' | 'critical'>;
}

/** How notifications are delivered to notifiers. */
export interface DeliveryConfig {
  /** Tries per notification; a 5xx answer or no answer (timeout) is retried, a 4xx is not. Default 3. */
  maxAttempts?: number;
  /** Wait before the first retry, in ms; doubled on each further one. Default 1000. */
  backoffMs?: number;
  /** Ceiling of the wait between tries, in ms. Default 30000. */
  maxBackoffMs?: number;
  /** How long shutdown waits for deliveries still under way, in ms. Default 15000. */
  drainTimeoutMs?: number;
}

export interface HooksConfig {
  /** Timeout of a hook handler that does not declare its own, in ms. Default 5000. */
  defaultTimeoutMs?: number;
  /**
   * Which notifications go to which notifiers. A notification goes to every notifier of every
   * route that matches its source and level. Without routes, every notifier whose `url` is
   * configured gets every notification.
   */
  routes?: NotificationRoute[];
  /** Retries and shutdown of notification deliveries. */
  delivery?: DeliveryConfig;
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

/** Per-period limits in USD. */
// Type aliases, not interfaces: the kernel's schema checks this section as a plain record.
export type PeriodBudgets = {
  daily?: number;
  weekly?: number;
  monthly?: number;
};

/** Spending budgets, in USD. */
export type BudgetsConfig = PeriodBudgets & {
  /** Limits per agent type, e.g. `{ "claude-code": { daily: 20 } }`. */
  perAgent?: Record<string, PeriodBudgets>;
  /** Limit of one session's total cost. */
  perSession?: number;
  /** Fractions of a limit that fire `CostThreshold`, each once per period. Default `[0.8, 1.0]`. */
  alertThresholds?: number[];
  /** IANA zone days, weeks (Monday first) and months are cut in. Default: the machine's zone. */
  timeZone?: string;
};

export interface ServerConfig {
  /** Serve HTTP while `rimuru-kernel run` runs: `/metrics` (Prometheus text format) and `/health`. Default false. */
  enabled?: boolean;
  /** Port of the HTTP API and dashboard; 0 picks a free one (printed in the ready line). Default 3030. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  host?: string;
}

/** System metrics: CPU, memory and active sessions, sampled into the store while `run` runs. */
export interface MetricsConfig {
  /** Set to `false` to sample nothing. Default true. */
  enabled?: boolean;
  /** Seconds between samples; each also fires the `MetricsExport` hook. Default 60. */
  intervalSecs?: number;
  /** Days samples are kept; older ones are deleted as new ones come. Default 30. */
  retentionDays?: number;
}

/** One pricing sync provider (`sync.providers.<provider>`: litellm, openrouter, anthropic, openai, google). */
export interface SyncProviderConfig {
  /** Set to `false` to never ask this provider. Default `true`. */
  enabled?: boolean;
  /**
   * Where to ask instead of the provider's own address (a proxy, a mirror, a test server). The
   * plugin is then allowed to reach this host and no other.
   */
  baseUrl?: string;
  /** The API key, when not in the provider's environment variable. Never logged or shown. */
  apiKey?: string;
  /** The least time between two scheduled syncs of this provider, in minutes. Default `sync.minIntervalMinutes`. */
  minIntervalMinutes?: number;
}

/** Keeping model names, context windows and prices current from the sync providers. */
export interface SyncConfig {
  /** Hours between syncs while `rimuru-kernel run` runs; `0` turns the schedule off. Default 24. */
  intervalHours?: number;
  /** Timeout of one request to a provider, in ms. Default 30000. */
  timeoutMs?: number;
  /** Largest response read from a provider, in bytes (capped by the sandbox's 16 MiB). Default 16 MiB. */
  maxResponseBytes?: number;
  /** The least time between two scheduled syncs of one provider, in minutes. Default 60. */
  minIntervalMinutes?: number;
  /** Retries of a failed request (timeouts, 429, 5xx, network): attempts, first delay and ceiling, ms. */
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Per-provider settings, by the provider's name. */
  providers?: Record<string, SyncProviderConfig>;
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
  /** Spending budgets; `CostThreshold` fires once per threshold per period. Checked by the budgets service at start. */
  budgets?: BudgetsConfig;
  /** The HTTP API and dashboard. */
  server?: ServerConfig;
  /** Pricing sync providers: schedule, retries, and per provider its URL, key and switch. */
  sync?: SyncConfig;
  /** System metrics sampled while `rimuru-kernel run` runs. */
  metrics?: MetricsConfig;
}

/**
 * Types a config file without changing it: `export default defineConfig({ … })` gives editor
 * completion and type errors for a wrong key or value.
 */
export function defineConfig(config: RimuruConfig): RimuruConfig {
  return config;
}
