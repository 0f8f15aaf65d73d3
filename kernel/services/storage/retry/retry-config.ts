import { z } from 'zod';

/**
 * How often and how patiently to retry a transient failure. The delay before retry `n` (1-based)
 * is `min(maxDelayMs, initialDelayMs × factor^(n-1))`, then spread by ±`jitter` (a fraction,
 * 0–1) so many clients that failed together do not retry together.
 */
export interface RetryConfig {
  /** Total tries, the first one included; 1 means never retry. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
}

export const retryConfigSchema = z
  .object({
    maxAttempts: z.number().int().min(1),
    initialDelayMs: z.number().min(0).finite(),
    maxDelayMs: z.number().min(0).finite(),
    factor: z.number().min(1).finite(),
    jitter: z.number().min(0).max(1),
  })
  .strict();

/**
 * The seeds' presets. `database`: a restarting or failing-over server is back within seconds.
 * `api`: remote pricing and notification APIs rate-limit, so wait longer. `agent`: a local
 * agent process being restarted.
 */
export const RetryPresets = {
  database: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 2_000, factor: 2, jitter: 0.2 },
  api: { maxAttempts: 4, initialDelayMs: 500, maxDelayMs: 10_000, factor: 2, jitter: 0.3 },
  agent: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 5_000, factor: 2, jitter: 0.1 },
} as const satisfies Record<'database' | 'api' | 'agent', RetryConfig>;

export type RetryPresetName = keyof typeof RetryPresets;

/** The delay before retry number `retry` (1 = the first retry), with `random` in [0, 1). */
export function retryDelayMs(config: RetryConfig, retry: number, random: number = Math.random()): number {
  const base = Math.min(config.maxDelayMs, config.initialDelayMs * config.factor ** (retry - 1));
  const spread = base * config.jitter * (random * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
