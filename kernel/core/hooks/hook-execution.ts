import type { HookName } from '../../../sdk/src/hooks';

export type HookExecutionResult = 'continue' | 'abort' | 'modified' | 'skip' | 'error' | 'timeout';

/** One handler run, as persisted to `hook_executions`. */
export interface HookExecution {
  readonly hook: HookName;
  readonly handlerId: string;
  readonly owner: string;
  /** ISO-8601 time the handler was started. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly result: HookExecutionResult;
  /** Present when `result` is `error` or `timeout`. */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Where the bus reports every handler run. The bus never awaits a returned promise (a slow
 * store must not slow dispatch); a rejection is logged and dropped.
 */
export interface HookExecutionRecorder {
  record(execution: HookExecution): void | Promise<void>;
}
