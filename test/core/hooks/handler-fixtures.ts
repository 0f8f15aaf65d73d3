import type { HookName, HookResult } from '../../../sdk/src/hooks';
import type { HookHandler } from '../../../kernel/core/hooks';

/** Builds a handler whose `handle` is the given function; fields default to a plugin-owned one. */
export function handler(
  id: string,
  handle: (payload: unknown) => Promise<HookResult> | HookResult,
  overrides: Partial<Omit<HookHandler, 'handle'>> = {},
): HookHandler {
  return { id, owner: '@rimuru/test-plugin', hook: 'custom:test' as HookName, priority: 0, handle, ...overrides };
}

/** A promise that never settles: the shape of a wedged plugin. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** Resolves after `ms` real milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
