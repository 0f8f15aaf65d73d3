import { performance } from 'node:perf_hooks';
import type { HookResult } from '../../../sdk/src/hooks';
import type { HookError } from '../errors';
import type { HookHandler } from './hook-handler';
import { checkHookResult } from './hook-result-schema';
import { hookHandlerFailedError, hookThrewError, hookTimeoutError } from './hook-errors';

export type HandlerOutcome =
  | { readonly kind: 'result'; readonly result: HookResult }
  | { readonly kind: 'error'; readonly error: HookError }
  | { readonly kind: 'timeout'; readonly error: HookError };

export interface HandlerRun {
  readonly outcome: HandlerOutcome;
  readonly startedAtMs: number;
  readonly durationMs: number;
}

/**
 * Runs one handler under its deadline and turns every way it can end — a valid result, a
 * throw, a rejection, garbage, or silence — into an outcome. Never rejects.
 */
export async function runHookHandler(
  hook: string,
  handler: HookHandler,
  payload: unknown,
  timeoutMs: number,
  now: () => number,
): Promise<HandlerRun> {
  const startedAtMs = now();
  const started = performance.now();

  let settled: Promise<HandlerOutcome>;
  try {
    // Both branches are handled here, so a handler that settles after its deadline
    // (or never) can never surface as an unhandled rejection.
    settled = Promise.resolve(handler.handle(payload)).then(
      (value) => validate(hook, handler, value),
      (thrown: unknown) => ({ kind: 'error', error: hookThrewError(hook, handler, thrown) }),
    );
  } catch (thrown) {
    settled = Promise.resolve({ kind: 'error', error: hookThrewError(hook, handler, thrown) });
  }

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<HandlerOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout', error: hookTimeoutError(hook, handler, timeoutMs) }), timeoutMs);
  });
  try {
    const outcome = await Promise.race([settled, deadline]);
    return { outcome, startedAtMs, durationMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

function validate(hook: string, handler: HookHandler, value: unknown): HandlerOutcome {
  try {
    const checked = checkHookResult(value);
    if (checked.ok) return { kind: 'result', result: checked.result };
    return { kind: 'error', error: hookHandlerFailedError(hook, handler, checked.message) };
  } catch (thrown) {
    // A host handler can hand back an object whose getters throw; that is its failure too.
    return { kind: 'error', error: hookThrewError(hook, handler, thrown) };
  }
}
