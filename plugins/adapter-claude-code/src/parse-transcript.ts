import type { ParseOutput, ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import { eachJsonObject, fnv1a64, isJsonObject, isoTime, nonEmptyString, tokenCount, type JsonObject } from './json-fields';

export const AGENT = 'claude-code';

/**
 * Line types Claude Code writes that carry no usage. Anything else without `message.usage`
 * is an unknown type: skipped and counted, so a format change shows up in the warnings.
 */
const KNOWN_TYPES = new Set([
  'user',
  'assistant',
  'summary',
  'system',
  'file-history-snapshot',
  'queue-operation',
  'progress',
  'custom-title',
  'tag',
]);

/** The model Claude Code logs for its own error messages (usage limits, API errors): no tokens to price. */
const SYNTHETIC_MODEL = '<synthetic>';

/** Longest excerpt of a bad line quoted in a warning. */
const EXCERPT_CHARS = 80;

interface Candidate {
  record: UsageRecord;
  tokens: number;
  sidechain: boolean;
}

/**
 * Turns transcript lines into usage records and session spans. One API response is often
 * logged several times while it streams (same `message.id` and `requestId`, growing
 * `output_tokens`), and sub-agent logs replay messages of the main thread: within a chunk the
 * largest entry of a key wins and, at equal size, the main thread's; across chunks the host's
 * `keep-larger` conflict rule does the same on the stored rows. Never throws on bad data.
 */
export function parseTranscript(lines: readonly string[], sourcePath: string): ParseOutput {
  const warnings: ParseWarning[] = [];
  const byKey = new Map<string, Candidate>();
  const sessions = new Map<string, SessionEvent>();
  const fallbackSession = sessionIdFromPath(sourcePath);

  // Every line (the host's filter decides which cross); warnings quote lines sanitised.
  eachJsonObject(lines, null, warnings, (value, index, line) => {
    const sessionId = nonEmptyString(value.sessionId) ?? fallbackSession;
    const at = isoTime(value.timestamp);
    const message = isJsonObject(value.message) ? value.message : undefined;
    const usage = message && isJsonObject(message.usage) ? message.usage : undefined;

    if (!usage) {
      const type = typeof value.type === 'string' ? value.type : undefined;
      if (type === undefined || !KNOWN_TYPES.has(type)) {
        warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: unknown line type ${JSON.stringify(type ?? null)} without usage` });
        return;
      }
      if (at) noteSession(sessions, sessionId, at, value);
      return;
    }
    if (value.isApiErrorMessage === true || message?.model === SYNTHETIC_MODEL) {
      if (at) noteSession(sessions, sessionId, at, value);
      return;
    }
    const candidate = toCandidate(value, message as JsonObject, usage, { sessionId, at, line });
    if ('missing' in candidate) {
      warnings.push({ kind: 'missing-field', message: `line ${index + 1}: ${candidate.missing}` });
      return;
    }
    noteSession(sessions, sessionId, candidate.record.recordedAt, value);
    const existing = byKey.get(candidate.record.dedupKey);
    if (
      existing === undefined ||
      candidate.tokens > existing.tokens ||
      (candidate.tokens === existing.tokens && existing.sidechain && !candidate.sidechain)
    ) {
      byKey.set(candidate.record.dedupKey, candidate);
    }
  }, excerpt);

  return {
    records: [...byKey.values()].map((candidate) => candidate.record),
    sessions: [...sessions.values()],
    warnings,
  };
}

interface LineContext {
  sessionId: string;
  at: string | undefined;
  line: string;
}

function toCandidate(value: JsonObject, message: JsonObject, usage: JsonObject, context: LineContext): Candidate | { missing: string } {
  if (context.at === undefined) return { missing: 'assistant usage without a valid "timestamp"' };
  const input = tokenCount(usage.input_tokens);
  const output = tokenCount(usage.output_tokens);
  if (input === undefined || output === undefined) return { missing: 'usage without integer "input_tokens" and "output_tokens"' };
  const cacheRead = optionalCount(usage.cache_read_input_tokens);
  const cacheWriteTotal = optionalCount(usage.cache_creation_input_tokens);
  if (cacheRead === null || cacheWriteTotal === null) return { missing: 'usage with a cache token count that is not an integer' };

  const split = isJsonObject(usage.cache_creation) ? usage.cache_creation : undefined;
  const write5m = tokenCount(split?.ephemeral_5m_input_tokens) ?? 0;
  const write1h = tokenCount(split?.ephemeral_1h_input_tokens) ?? 0;
  const cacheWrite = cacheWriteTotal ?? write5m + write1h;

  const messageId = nonEmptyString(message.id);
  const requestId = nonEmptyString(value.requestId);
  const model = nonEmptyString(message.model);
  const flags: string[] = [];
  if (model === undefined) flags.push('missing-model');
  if (usage.speed === 'fast') flags.push('fast');

  const record: UsageRecord = {
    dedupKey: dedupKeyOf(messageId, requestId, value, context.line),
    sessionId: context.sessionId,
    model: model ?? 'unknown',
    provider: 'anthropic',
    inputTokens: input,
    outputTokens: output,
    cacheWriteTokens: cacheWrite,
    cacheReadTokens: cacheRead ?? 0,
    reasoningTokens: 0,
    recordedAt: context.at,
  };
  if (write1h > 0) record.cacheWrite1hTokens = Math.min(write1h, cacheWrite);
  const cost = value.costUSD;
  if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) record.costUsd = cost;
  if (flags.length > 0) record.flags = flags;
  return { record, tokens: input + output + cacheWrite + (cacheRead ?? 0), sidechain: value.isSidechain === true };
}

/**
 * `claude-code:<message.id>:<requestId>` as ccusage keys an API response. A line without both
 * ids is never merged with another by ccusage: keyed by its own `uuid` (or, lacking one, by a
 * hash of the line) it is counted once, and once only across re-reads.
 */
function dedupKeyOf(messageId: string | undefined, requestId: string | undefined, value: JsonObject, line: string): string {
  if (messageId !== undefined && requestId !== undefined) return `${AGENT}:${messageId}:${requestId}`;
  const uuid = nonEmptyString(value.uuid);
  return uuid !== undefined ? `${AGENT}:uuid:${uuid}` : `${AGENT}:line:${fnv1a64(line)}`;
}

/** `undefined` when absent, `null` when present but not a token count. */
function optionalCount(value: unknown): number | undefined | null {
  if (value === undefined || value === null) return undefined;
  return tokenCount(value) ?? null;
}

function noteSession(sessions: Map<string, SessionEvent>, sessionId: string, at: string, value: JsonObject): void {
  const event = sessions.get(sessionId);
  if (event === undefined) {
    const created: SessionEvent = { sessionId, startedAt: at, endedAt: at };
    const cwd = nonEmptyString(value.cwd);
    if (cwd !== undefined) created.projectPath = cwd;
    const metadata: Record<string, unknown> = {};
    const version = nonEmptyString(value.version);
    const gitBranch = nonEmptyString(value.gitBranch);
    if (version !== undefined) metadata.version = version;
    if (gitBranch !== undefined) metadata.gitBranch = gitBranch;
    if (Object.keys(metadata).length > 0) created.metadata = metadata;
    sessions.set(sessionId, created);
    return;
  }
  if (event.startedAt === undefined || at < event.startedAt) event.startedAt = at;
  if (event.endedAt === undefined || at > event.endedAt) event.endedAt = at;
  if (event.projectPath === undefined) {
    const cwd = nonEmptyString(value.cwd);
    if (cwd !== undefined) event.projectPath = cwd;
  }
}

/**
 * The session a transcript belongs to when its lines do not say: `<session>.jsonl`, or for a
 * sub-agent log `<session>/subagents/<agent>.jsonl`, the parent session's folder name.
 */
export function sessionIdFromPath(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const file = parts[parts.length - 1] ?? path;
  const subagents = parts.lastIndexOf('subagents');
  if (subagents > 0 && subagents === parts.length - 2) return parts[subagents - 1] as string;
  return file.endsWith('.jsonl') ? file.slice(0, -'.jsonl'.length) : file;
}

function excerpt(line: string): string {
  const text = line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
  // Binary garbage and control characters stay out of logs.
  return JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?'));
}
