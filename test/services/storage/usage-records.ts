import type { UsageRecordInput } from '../../../kernel/services/storage';

/** Deterministic usage records for storage tests and benches: record `i` is always the same. */
export interface UsageRecordFixtureOptions {
  /** Index of the first record; keys are `rec-<index>`. Default 0. */
  start?: number;
  sessions?: number;
  models?: readonly string[];
  /** Epoch ms of record 0; records are `stepMs` apart. */
  fromMs?: number;
  stepMs?: number;
  keyPrefix?: string;
}

const DEFAULT_MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-5-codex', 'gemini-2.5-pro'] as const;

export function usageRecord(index: number, options: UsageRecordFixtureOptions = {}): UsageRecordInput {
  const models = options.models ?? DEFAULT_MODELS;
  const sessions = options.sessions ?? 50;
  const session = index % sessions;
  const output = 100 + (index % 997);
  return {
    dedupKey: `${options.keyPrefix ?? 'rec'}-${index}`,
    sessionId: `claude-code:session-${session}`,
    agentType: session % 3 === 0 ? 'codex' : 'claude-code',
    model: models[index % models.length] as string,
    provider: index % 5 === 0 ? null : 'anthropic',
    inputTokens: 10 + (index % 89),
    outputTokens: output,
    cacheWriteTokens: index % 7 === 0 ? 2_000 : 0,
    cacheWrite1hTokens: index % 14 === 0 ? 1_000 : 0,
    cacheReadTokens: 5_000 + (index % 13) * 100,
    reasoningTokens: index % 3 === 0 ? Math.floor(output / 2) : 0,
    costUsd: Math.round(((index % 1000) / 1000 + 0.0001) * 1e6) / 1e6,
    costSource: index % 4 === 0 ? 'reported' : 'calculated',
    recordedAt: (options.fromMs ?? 1_760_000_000_000) + index * (options.stepMs ?? 1_000),
    ...(index % 11 === 0 ? { flags: ['fallback-model'] } : {}),
  };
}

export function usageRecords(count: number, options: UsageRecordFixtureOptions = {}): UsageRecordInput[] {
  const start = options.start ?? 0;
  return Array.from({ length: count }, (_, offset) => usageRecord(start + offset, options));
}
