import type { Logger } from 'pino';
import type { HookBus, HookExecutionRecorder } from '../hooks';
import type { KvStore } from '../../services/kv';
import type { Clock } from './clock';
import type { ResolvedConfig } from '../../config';
import type { PluginRegistry } from '../registry';
import type { Database } from '../../services/storage/database';
import { createServiceToken } from './service-token';

/** The slice of the resolved config the core reads; `ResolvedConfig` satisfies it. */
export type KernelConfigLike = Pick<ResolvedConfig, 'hooks'>;

export type PluginRegistryService = PluginRegistry;

/** Typed tokens for the host services. Resolve and inject with these, never with classes. */
export const Tokens = {
  Config: createServiceToken<ResolvedConfig>('Config'),
  /** The root logger in the root container; a plugin-scoped child inside a plugin scope. */
  Logger: createServiceToken<Logger>('Logger'),
  HookBus: createServiceToken<HookBus>('HookBus'),
  HookExecutionRecorder: createServiceToken<HookExecutionRecorder>('HookExecutionRecorder'),
  PluginRegistry: createServiceToken<PluginRegistryService>('PluginRegistry'),
  KvStore: createServiceToken<KvStore>('KvStore'),
  /** The kernel's store (SQLite or PostgreSQL), migrated. */
  Database: createServiceToken<Database>('Database'),
  /** Absolute path of the data directory. */
  DataDir: createServiceToken<string>('DataDir'),
  Clock: createServiceToken<Clock>('Clock'),
  /** Only inside a plugin scope: the plugin's package name. */
  PluginName: createServiceToken<string>('PluginName'),
} as const;
