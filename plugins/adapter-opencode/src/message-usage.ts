import type { ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import * as z from 'zod/mini';

const tokenCount = z.int().check(z.nonnegative());
const epochMs = z.number().check(z.nonnegative());

/**
 * The fields of an OpenCode assistant message this adapter reads. The database's `data` column
 * and a legacy `storage/message/<session>/<message>.json` file share this shape (the legacy file
 * also carries `id` and `sessionID`). Nulls are accepted where a projection yields them.
 */
const assistantMessageSchema = z.object({
  time: z.object({ created: epochMs, completed: z.nullish(epochMs) }),
  modelID: z.string().check(z.minLength(1)),
  providerID: z.nullish(z.string()),
  path: z.nullish(z.object({ cwd: z.nullish(z.string()), root: z.nullish(z.string()) })),
  cost: z.nullish(z.number()),
  tokens: z.object({
    input: tokenCount,
    output: tokenCount,
    reasoning: z.nullish(tokenCount),
    cache: z.object({ read: tokenCount, write: tokenCount }),
  }),
});

/** What one message contributes: a usage record and its session, a warning, or nothing. */
export interface MessageUsage {
  record?: UsageRecord;
  session?: SessionEvent;
  warning?: ParseWarning;
}

function describeIssue(issue: z.core.$ZodIssue): { kind: ParseWarning['kind']; text: string } {
  const field = issue.path.map(String).join('.');
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  return { kind: missing ? 'missing-field' : 'corrupt', text: missing ? `has no ${field}` : `has an invalid ${field || 'shape'}` };
}

/**
 * Turns one message into usage. User messages carry no usage and are passed over silently, as
 * are assistant messages whose tokens are all zero (still streaming, or aborted before the
 * first step finished: the database row is rewritten when they complete). Token semantics of
 * current OpenCode: `input` excludes cache reads and writes, `output` excludes `reasoning`; the
 * record counts reasoning inside `outputTokens`, as every Rimuru record does.
 */
export function messageUsage(messageId: string, sessionId: string, message: unknown): MessageUsage {
  const role = (message as { role?: unknown } | null)?.role;
  if (role === 'user') return {};
  const where = `opencode message ${messageId} (session ${sessionId})`;
  if (role === undefined || role === null) return { warning: { kind: 'missing-field', message: `${where} has no role` } };
  if (role !== 'assistant') return { warning: { kind: 'unknown-type', message: `${where} has the unknown role ${JSON.stringify(role)}` } };
  const parsed = assistantMessageSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { kind, text } = issue ? describeIssue(issue) : { kind: 'corrupt' as const, text: 'is invalid' };
    return { warning: { kind, message: `${where} ${text}` } };
  }
  const { time, modelID, providerID, path, cost, tokens } = parsed.data;
  const reasoning = tokens.reasoning ?? 0;
  const record: UsageRecord = {
    dedupKey: `opencode:${messageId}`,
    sessionId,
    model: modelID,
    inputTokens: tokens.input,
    outputTokens: tokens.output + reasoning,
    cacheWriteTokens: tokens.cache.write,
    cacheReadTokens: tokens.cache.read,
    reasoningTokens: reasoning,
    recordedAt: new Date(time.created).toISOString(),
  };
  if (record.inputTokens + record.outputTokens + record.cacheWriteTokens + record.cacheReadTokens === 0) return {};
  if (providerID) record.provider = providerID;
  // OpenCode writes 0 for providers it has no price for (and for subscriptions): calculate those.
  if (cost !== undefined && cost !== null && cost > 0) record.costUsd = cost;
  const session: SessionEvent = { sessionId, startedAt: record.recordedAt, endedAt: new Date(time.completed ?? time.created).toISOString() };
  const projectPath = path?.root || path?.cwd;
  if (projectPath) session.projectPath = projectPath;
  return { record, session };
}

/**
 * Folds the per-message session events of one chunk into one event per session: the earliest
 * start, the latest end, a project path.
 */
export function mergeSessionEvents(events: readonly SessionEvent[]): SessionEvent[] {
  const merged = new Map<string, SessionEvent>();
  for (const event of events) {
    const seen = merged.get(event.sessionId);
    if (!seen) {
      merged.set(event.sessionId, { ...event });
      continue;
    }
    if (event.startedAt && (!seen.startedAt || event.startedAt < seen.startedAt)) seen.startedAt = event.startedAt;
    if (event.endedAt && (!seen.endedAt || event.endedAt > seen.endedAt)) seen.endedAt = event.endedAt;
    seen.projectPath ??= event.projectPath;
    seen.title ??= event.title;
    if (event.metadata) seen.metadata = { ...event.metadata, ...seen.metadata };
  }
  return [...merged.values()];
}
