import type { Logger } from 'pino';
import { loadConfig, type ResolvedConfig } from '../config';
import { createLogger, type LoggerLevel } from '../core/logging';
import { defaultBuiltinPluginDir, PluginRegistry } from '../core/registry';
import { openStore, type Database } from '../services/storage';
import { DatabasePluginStateStore } from '../services/storage/stores';

/** Options every command accepts (set on the root program). */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  logLevel?: LoggerLevel;
}

export interface CliContext {
  config: ResolvedConfig;
  configPath?: string;
  logger: Logger;
}

/**
 * Loads the config the way `run` does, so every command sees the same data dir and plugins.
 * `--data-dir` and `--log-level` act like their environment variables.
 */
export async function loadCliContext(options: GlobalOptions, defaultLogLevel?: LoggerLevel): Promise<CliContext> {
  const env = { ...process.env };
  if (options.dataDir) env.RIMURU_DATA_DIR = options.dataDir;
  if (options.logLevel) env.RIMURU_LOG_LEVEL = options.logLevel;
  const { config, filepath } = await loadConfig({ configFile: options.config, env });
  const level = options.logLevel ?? defaultLogLevel ?? config.logLevel;
  return { config, configPath: filepath, logger: createLogger({ level }) };
}

/** Runs `work` with the kernel's store open (connected and migrated), closing it after. */
export async function withStore<T>(context: CliContext, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openStore(context.config, context.logger);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

/** A registry over the same plugin dirs and stored choices the kernel uses, discovered. */
export async function openRegistry(config: ResolvedConfig, database: Database): Promise<PluginRegistry> {
  const registry = new PluginRegistry({
    builtinDir: defaultBuiltinPluginDir(),
    userDir: config.plugins.dir,
    stateStore: new DatabasePluginStateStore(database.knex),
    configuredEnabled: config.plugins.enabled,
  });
  await registry.discover();
  return registry;
}
