import type { Logger } from 'pino';
import type { HookBus, HookExecutionRecorder } from '../hooks';
import type { KvStore } from '../../services/kv';
import type { Clock } from './clock';
import { createServiceToken } from './service-token';

/**
 * The slice of the resolved config the kernel core reads. `ResolvedConfig` from
 * `kernel/config` satisfies it, so the lead registers that object as is; keeping the core on
 * this slice lets the config grow without touching the container.
 */
export interface KernelConfigLike {
  readonly hooks: { readonly defaultTimeoutMs: number };
}

/**
 * Opaque until the registry lands in `kernel/core/registry`; narrow this alias to its class
 * then (consumers resolve the real type, the container never looks inside).
 */
export type PluginRegistryService = object;

/** Typed tokens for the host services. Resolve and inject with these, never with classes. */
export const Tokens = {
  Config: createServiceToken<KernelConfigLike>('Config'),
  /** The root logger in the root container; a plugin-scoped child inside a plugin scope. */
  Logger: createServiceToken<Logger>('Logger'),
  HookBus: createServiceToken<HookBus>('HookBus'),
  HookExecutionRecorder: createServiceToken<HookExecutionRecorder>('HookExecutionRecorder'),
  PluginRegistry: createServiceToken<PluginRegistryService>('PluginRegistry'),
  KvStore: createServiceToken<KvStore>('KvStore'),
  /** Absolute path of the data directory. */
  DataDir: createServiceToken<string>('DataDir'),
  Clock: createServiceToken<Clock>('Clock'),
  /** Only inside a plugin scope: the plugin's package name. */
  PluginName: createServiceToken<string>('PluginName'),
} as const;
