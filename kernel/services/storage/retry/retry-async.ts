import { setTimeout as sleepFor } from 'node:timers/promises';
import { retryConfigSchema, retryDelayMs, type RetryConfig } from './retry-config';

export interface RetryOptions {
  /** Whether a failure is worth another try. Default: every failure is. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log "retrying in 200 ms". */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Stops waiting and retrying; the last error (or the abort reason) is thrown. */
  signal?: AbortSignal;
  /** Waits `ms`; injected by tests. Default: a real timer that honours `signal`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Source of jitter in [0, 1); injected by tests. */
  random?: () => number;
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await sleepFor(ms, undefined, signal ? { signal } : undefined);
}

/**
 * Runs `fn` until it succeeds, fails with an error `isRetryable` rejects, or `config.maxAttempts`
 * tries are spent; the last error is rethrown unchanged. (The seeds' `retry_async`.)
 */
export async function retryAsync<T>(
  fn: (attempt: number) => Promise<T>,
  config: RetryConfig,
  options: RetryOptions = {},
): Promise<T> {
  const checked = retryConfigSchema.parse(config);
  const isRetryable = options.isRetryable ?? (() => true);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= checked.maxAttempts || !isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = retryDelayMs(checked, attempt, random());
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, options.signal);
      } catch {
        // Aborted while waiting: the failure that made us wait says more than the abort does.
        throw error;
      }
    }
  }
}
