import { z } from 'zod';
import { LOG_LEVELS, type RimuruConfig } from '../../sdk/src/config';
import { closedObject } from './describe-issues';

/**
 * The config as validated at the door. Every object is closed (an unknown key is an error that
 * lists the known ones) because a misspelt `sandbox.defualts` silently keeping the default
 * limits is worse than refusing to start. Defaults live here and nowhere else.
 */

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const nonEmpty = z.string().min(1);

export const CONFIG_DEFAULTS = {
  logLevel: 'info',
  database: { maxConnections: 10, minConnections: 0, connectTimeoutMs: 10_000, idleTimeoutMs: 30_000 },
  sandbox: {
    defaults: { memoryMb: 64, callTimeoutMs: 10_000, wallTimeoutMs: 30_000 },
    restart: { maxRestarts: 3, backoffMs: 1_000, maxBackoffMs: 30_000 },
  },
  hooks: { defaultTimeoutMs: 5_000, delivery: { maxAttempts: 3, backoffMs: 1_000, maxBackoffMs: 30_000, drainTimeoutMs: 15_000 } },
  ingest: { rescanIntervalSecs: 30, writerThread: true },
  server: { enabled: false, port: 3030, host: '127.0.0.1' },
  metrics: { enabled: true, intervalSecs: 60, retentionDays: 30 },
  sync: { intervalHours: 24, timeoutMs: 30_000, maxResponseBytes: 16 * 1024 * 1024, minIntervalMinutes: 60, retry: { attempts: 3, backoffMs: 2_000, maxBackoffMs: 60_000 } },
} as const;

const databaseSchema = closedObject({
  url: nonEmpty.optional(),
  maxConnections: positiveInt.default(CONFIG_DEFAULTS.database.maxConnections),
  minConnections: nonNegativeInt.default(CONFIG_DEFAULTS.database.minConnections),
  connectTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.database.connectTimeoutMs),
  idleTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.database.idleTimeoutMs),
}).superRefine((db, ctx) => {
  if (db.minConnections > db.maxConnections) {
    ctx.addIssue({
      code: 'custom',
      path: ['minConnections'],
      message: `a number <= maxConnections (${db.maxConnections})`,
    });
  }
});

const pluginsSchema = closedObject({
  dir: nonEmpty.optional(),
  enabled: z.record(z.string(), z.boolean()).default(() => ({})),
  config: z.record(z.string(), z.record(z.string(), z.unknown())).default(() => ({})),
});

const sandboxSchema = closedObject({
  defaults: closedObject({
    memoryMb: positiveInt.default(CONFIG_DEFAULTS.sandbox.defaults.memoryMb),
    callTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.sandbox.defaults.callTimeoutMs),
    wallTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.sandbox.defaults.wallTimeoutMs),
  }).prefault({}),
  restart: closedObject({
    maxRestarts: nonNegativeInt.default(CONFIG_DEFAULTS.sandbox.restart.maxRestarts),
    backoffMs: positiveInt.default(CONFIG_DEFAULTS.sandbox.restart.backoffMs),
    maxBackoffMs: positiveInt.default(CONFIG_DEFAULTS.sandbox.restart.maxBackoffMs),
  })
    .superRefine((restart, ctx) => {
      if (restart.backoffMs > restart.maxBackoffMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['backoffMs'],
          message: `a number <= maxBackoffMs (${restart.maxBackoffMs})`,
        });
      }
    })
    .prefault({}),
});

const agentSchema = closedObject({
  paths: z.array(nonEmpty).default(() => []),
  enabled: z.boolean().default(true),
});

// Pricing sync providers (kernel/services/sync): schedule, bounds, retries, and per provider
// its switch, base URL (proxies, tests; the only host it may reach), key and rate limit.
const syncProviderSchema = closedObject({
  enabled: z.boolean().default(true),
  baseUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL like https://proxy.example.com/litellm' }).optional(),
  apiKey: nonEmpty.optional(),
  minIntervalMinutes: z.number().nonnegative().optional(),
});

const syncSchema = closedObject({
  intervalHours: z.number().nonnegative().default(CONFIG_DEFAULTS.sync.intervalHours),
  timeoutMs: positiveInt.default(CONFIG_DEFAULTS.sync.timeoutMs),
  maxResponseBytes: positiveInt.default(CONFIG_DEFAULTS.sync.maxResponseBytes),
  minIntervalMinutes: z.number().nonnegative().default(CONFIG_DEFAULTS.sync.minIntervalMinutes),
  retry: closedObject({
    attempts: positiveInt.max(10).default(CONFIG_DEFAULTS.sync.retry.attempts),
    backoffMs: positiveInt.default(CONFIG_DEFAULTS.sync.retry.backoffMs),
    maxBackoffMs: positiveInt.default(CONFIG_DEFAULTS.sync.retry.maxBackoffMs),
  }).prefault({}),
  providers: z.record(z.string(), syncProviderSchema).default(() => ({})),
});

export const rimuruConfigSchema = closedObject({
  dataDir: nonEmpty.optional(),
  logLevel: z.enum(LOG_LEVELS).default(CONFIG_DEFAULTS.logLevel),
  database: databaseSchema.prefault({}),
  plugins: pluginsSchema.prefault({}),
  sandbox: sandboxSchema.prefault({}),
  hooks: closedObject({
    defaultTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.hooks.defaultTimeoutMs),
    // Which notifications (by source hook and level) go to which notifiers; none: every notifier with a url.
    routes: z
      .array(
        closedObject({
          events: z.array(nonEmpty).min(1),
          notifiers: z.array(nonEmpty).min(1),
          levels: z.array(z.enum(['info', 'warning', 'critical'])).min(1).optional(),
        }),
      )
      .default(() => []),
    delivery: closedObject({
      maxAttempts: positiveInt.max(10).default(CONFIG_DEFAULTS.hooks.delivery.maxAttempts),
      backoffMs: positiveInt.default(CONFIG_DEFAULTS.hooks.delivery.backoffMs),
      maxBackoffMs: positiveInt.default(CONFIG_DEFAULTS.hooks.delivery.maxBackoffMs),
      drainTimeoutMs: positiveInt.default(CONFIG_DEFAULTS.hooks.delivery.drainTimeoutMs),
    }).prefault({}),
  }).prefault({}),
  agents: z.record(z.string(), agentSchema).default(() => ({})),
  ingest: closedObject({
    rescanIntervalSecs: positiveInt.default(CONFIG_DEFAULTS.ingest.rescanIntervalSecs),
    // Large SQLite transactions from a worker thread (default on): faster, ~60–80 MB more memory.
    writerThread: z.boolean().default(CONFIG_DEFAULTS.ingest.writerThread),
  }).prefault({}),
  // Shape owned by the budgets service; validated there.
  budgets: z.record(z.string(), z.unknown()).default(() => ({})),
  server: closedObject({
    // run serves HTTP (/metrics, /health) only when asked to.
    enabled: z.boolean().default(CONFIG_DEFAULTS.server.enabled),
    port: z.number().int().min(0).max(65_535).default(CONFIG_DEFAULTS.server.port),
    host: nonEmpty.default(CONFIG_DEFAULTS.server.host),
  }).prefault({}),
  sync: syncSchema.prefault({}),
  metrics: closedObject({
    enabled: z.boolean().default(CONFIG_DEFAULTS.metrics.enabled),
    intervalSecs: positiveInt.default(CONFIG_DEFAULTS.metrics.intervalSecs),
    retentionDays: positiveInt.default(CONFIG_DEFAULTS.metrics.retentionDays),
  }).prefault({}),
});

type ParsedConfig = z.output<typeof rimuruConfigSchema>;

/** The config the kernel runs with: every default filled in, every path absolute. */
export interface ResolvedConfig extends Omit<ParsedConfig, 'dataDir' | 'plugins'> {
  /** Absolute data dir (env, config, XDG, home — in that order). */
  dataDir: string;
  plugins: Omit<ParsedConfig['plugins'], 'dir'> & {
    /** Absolute user plugin dir. */
    dir: string;
  };
}

// Compile-time guards that the SDK type and the schema describe the same config: any
// RimuruConfig must be accepted, and neither side may have a top-level key the other lacks.
type AssertAssignable<Sub extends Super, Super> = Sub;
type _SdkConfigFitsSchema = AssertAssignable<RimuruConfig, z.input<typeof rimuruConfigSchema>>;
type _SchemaKeysInSdk = AssertAssignable<keyof z.input<typeof rimuruConfigSchema>, keyof RimuruConfig>;
type _SdkKeysInSchema = AssertAssignable<keyof RimuruConfig, keyof z.input<typeof rimuruConfigSchema>>;
