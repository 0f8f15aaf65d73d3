import type { UsageRecord } from '@rimuru/sdk';
import { isJsonObject, isoTime, nonEmptyString, tokenCount, type JsonObject } from './json-fields';

export const AGENT = 'gemini';

/** Gemini's per-response token counts (`usageMetadata` as the CLI records it). */
export interface GeminiTokens {
  /** `promptTokenCount`: includes the cached part. */
  input: number;
  /** `candidatesTokenCount`: the visible answer, without thoughts. */
  output: number;
  /** `cachedContentTokenCount`. */
  cached: number;
  /** `thoughtsTokenCount`: billed as output. */
  thoughts: number;
  /** `toolUsePromptTokenCount`: billed as input, not part of `input`. */
  tool: number;
  /** `totalTokenCount`, when recorded. */
  total?: number;
}

/**
 * The message's `tokens`, or `undefined` when they are absent or unusable. `input` and
 * `output` are required; `cached`, `thoughts` and `tool` default to 0 when absent.
 */
export function messageTokens(message: JsonObject): GeminiTokens | undefined {
  const tokens = message.tokens;
  if (!isJsonObject(tokens)) return undefined;
  const input = tokenCount(tokens.input);
  const output = tokenCount(tokens.output);
  const optional = (value: unknown): number | undefined => (value === undefined || value === null ? 0 : tokenCount(value));
  const cached = optional(tokens.cached);
  const thoughts = optional(tokens.thoughts);
  const tool = optional(tokens.tool);
  if (input === undefined || output === undefined || cached === undefined || thoughts === undefined || tool === undefined) return undefined;
  const total = tokenCount(tokens.total);
  return total === undefined ? { input, output, cached, thoughts, tool } : { input, output, cached, thoughts, tool, total };
}

/** Size of a recorded write of a message, to pick among the writes of one id: -1 without usable tokens. */
export function tokenWeight(message: JsonObject): number {
  const tokens = messageTokens(message);
  return tokens === undefined ? -1 : tokens.input + tokens.output + tokens.thoughts + tokens.tool;
}

export type MessageUsage = { record: UsageRecord } | { missing: string } | { empty: true };

/**
 * One `type: "gemini"` message as a usage record, keyed `gemini:<session>:<message id>`.
 *
 * Token kinds: `input` includes `cached`, so uncached input is `input − cached`, plus `tool`
 * (tool-use prompt tokens are billed as input and are not part of `input`); output is
 * `output + thoughts` with `thoughts` as its reasoning part (Gemini bills thinking as output).
 * The sum of the four kinds is then Gemini's own `total`. When `total` shows that `input` did
 * not include `cached` (`total = input + cached + output + thoughts + tool`), nothing is
 * subtracted. A message without `model` takes the session's previous model, flagged.
 */
export function messageUsage(message: JsonObject, sessionId: string, fallbackModel: string | undefined): MessageUsage {
  const id = nonEmptyString(message.id);
  const at = isoTime(message.timestamp);
  const tokens = messageTokens(message);
  const ownModel = nonEmptyString(message.model);
  const model = ownModel ?? fallbackModel;
  const missing = [
    id === undefined ? 'id' : undefined,
    at === undefined ? 'timestamp' : undefined,
    tokens === undefined ? 'tokens.input/output' : undefined,
    model === undefined ? 'model' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (id === undefined || at === undefined || tokens === undefined || model === undefined) return { missing: `a gemini message without ${missing.join(', ')}` };

  const inclusive = tokens.input + tokens.output + tokens.thoughts + tokens.tool;
  const inputExcludesCached = tokens.cached > 0 && tokens.total === inclusive + tokens.cached;
  const uncached = inputExcludesCached ? tokens.input : Math.max(0, tokens.input - tokens.cached);
  const record: UsageRecord = {
    dedupKey: `${AGENT}:${sessionId}:${id}`,
    sessionId,
    model,
    inputTokens: uncached + tokens.tool,
    outputTokens: tokens.output + tokens.thoughts,
    cacheWriteTokens: 0,
    cacheReadTokens: tokens.cached,
    reasoningTokens: tokens.thoughts,
    recordedAt: at,
  };
  if (ownModel === undefined) record.flags = ['fallback-model'];
  if (record.inputTokens + record.outputTokens + record.cacheReadTokens === 0) return { empty: true };
  return { record };
}
