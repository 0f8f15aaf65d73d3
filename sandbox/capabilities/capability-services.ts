import type { Logger } from 'pino';
import type { KvStore } from '../../kernel/services/kv';
import type { CapabilityLimits } from './capability-limits';

/** Kernel data a plugin may read through the `data` capability; storage implements it. */
export interface DataSource {
  query(kind: string, filter: Record<string, unknown>): Promise<unknown[]>;
}

/** The host services the capabilities of one plugin are carried out with. */
export interface CapabilityServices {
  kv: KvStore;
  /** Absent until storage is wired in; `data.query` then fails with E1005. */
  data?: DataSource;
  /** Emits a custom hook on the hook bus on behalf of `plugin`. */
  emitHook(plugin: string, hook: `custom:${string}`, payload: unknown): Promise<void>;
  logger: Logger;
  /** The kernel's environment: `$VAR` roots, PATH for exec, and what `env.get` may reveal. */
  env: Record<string, string | undefined>;
  homeDir: string;
  limits?: Partial<CapabilityLimits>;
}
