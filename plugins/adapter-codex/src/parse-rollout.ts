import type { ParseOutput, ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import { isJsonObject, isoTime, nonEmptyString, tokenCount, type JsonObject } from './json-fields';

export const AGENT = 'codex';

/** The model Codex used before `turn_context` named one; records priced with it are flagged. */
export const FALLBACK_MODEL = 'gpt-5';
export const FALLBACK_FLAG = 'fallback-model';

/** Top-level line types Codex writes; only three of them matter for usage. */
const KNOWN_TYPES = new Set(['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted']);

/** Cumulative or per-turn token counts as Codex logs them (`cached` ⊂ `input`, `reasoning` ⊂ `output`). */
export interface CodexTokens {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

/**
 * What one chunk hands the next chunk of the same rollout: the session, its project and the
 * current model (set by `turn_context` lines that may lie in an earlier chunk) and the last
 * cumulative totals, which turn a `token_count` without `last_token_usage` into a delta and
 * tell a re-emitted count (totals unchanged) from a new turn.
 */
export interface RolloutState {
  sessionId?: string;
  /** The session whose history a fork or sub-agent rollout replays: its dedup keys use this id. */
  lineage?: string;
  cwd?: string;
  model?: string;
  cliVersion?: string;
  startedAt?: string;
  /** The last `total_token_usage` seen. */
  total?: CodexTokens;
  /** Cumulative totals including turns logged without `total_token_usage`: part of every dedup key. */
  running?: CodexTokens;
}

/**
 * Turns rollout lines into one usage record per model turn. `info: null` counts (rate-limit
 * updates) and counts whose cumulative total did not move (Codex re-emits them) add nothing.
 * The dedup key is the session (or the session a fork replays) plus the cumulative totals at
 * that turn: stable across re-reads, and equal for a fork's replayed copy of its parent's turns.
 */
export function parseRollout(lines: readonly string[], sourcePath: string, previous: RolloutState | undefined): ParseOutput {
  const state: RolloutState = { ...previous };
  const warnings: ParseWarning[] = [];
  const records: UsageRecord[] = [];
  let lastSeen: string | undefined;

  lines.forEach((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not JSON` });
      return;
    }
    if (!isJsonObject(value)) {
      warnings.push({ kind: 'corrupt', message: `line ${index + 1}: not a JSON object` });
      return;
    }
    const type = typeof value.type === 'string' ? value.type : undefined;
    if (type === undefined || !KNOWN_TYPES.has(type)) {
      warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: unknown line type ${JSON.stringify(type ?? null)}` });
      return;
    }
    const at = isoTime(value.timestamp);
    if (at !== undefined && (lastSeen === undefined || at > lastSeen)) lastSeen = at;
    const payload = isJsonObject(value.payload) ? value.payload : undefined;
    if (type === 'session_meta') {
      if (payload === undefined) warnings.push({ kind: 'missing-field', message: `line ${index + 1}: session_meta without a payload` });
      else noteSessionMeta(state, payload, at);
    } else if (type === 'turn_context') {
      const model = nonEmptyString(payload?.model);
      if (model !== undefined) state.model = model;
      const cwd = nonEmptyString(payload?.cwd);
      if (cwd !== undefined && state.cwd === undefined) state.cwd = cwd;
    } else if (type === 'event_msg' && payload?.type === 'token_count') {
      const outcome = tokenCountRecord(state, payload, at, sourcePath);
      if (typeof outcome === 'string') warnings.push({ kind: 'missing-field', message: `line ${index + 1}: ${outcome}` });
      else if (outcome !== null) records.push(outcome);
    }
  });

  const sessions: SessionEvent[] = [];
  const sessionId = state.sessionId ?? sessionIdFromPath(sourcePath);
  if (records.length > 0 || state.startedAt !== undefined || lastSeen !== undefined) {
    const event: SessionEvent = { sessionId };
    if (state.cwd !== undefined) event.projectPath = state.cwd;
    const startedAt = state.startedAt ?? records[0]?.recordedAt;
    if (startedAt !== undefined) event.startedAt = startedAt;
    if (lastSeen !== undefined) event.endedAt = lastSeen;
    const metadata: Record<string, unknown> = {};
    if (state.cliVersion !== undefined) metadata.cliVersion = state.cliVersion;
    if (state.lineage !== undefined) metadata.forkedFrom = state.lineage;
    if (Object.keys(metadata).length > 0) event.metadata = metadata;
    sessions.push(event);
  }
  return { records, sessions, state, warnings };
}

/**
 * The first `session_meta` is the rollout's own; a fork copies its ancestors' after it, which
 * must not rename the session.
 */
function noteSessionMeta(state: RolloutState, payload: JsonObject, at: string | undefined): void {
  if (state.sessionId !== undefined) return;
  const id = nonEmptyString(payload.id);
  if (id === undefined) return;
  state.sessionId = id;
  const startedAt = isoTime(payload.timestamp) ?? at;
  if (startedAt !== undefined) state.startedAt = startedAt;
  const cwd = nonEmptyString(payload.cwd);
  if (cwd !== undefined) state.cwd = cwd;
  const version = nonEmptyString(payload.cli_version);
  if (version !== undefined) state.cliVersion = version;
  const source = isJsonObject(payload.source) ? payload.source : undefined;
  const subagent = isJsonObject(source?.subagent) ? source.subagent : undefined;
  const spawn = isJsonObject(subagent?.thread_spawn) ? subagent.thread_spawn : undefined;
  const parent = nonEmptyString(payload.forked_from_id) ?? nonEmptyString(spawn?.parent_thread_id);
  if (parent !== undefined) state.lineage = parent;
}

/** A record, `null` for a count that adds nothing, or why the line was skipped. */
function tokenCountRecord(state: RolloutState, payload: JsonObject, at: string | undefined, sourcePath: string): UsageRecord | null | string {
  const info = payload.info;
  if (info === null || info === undefined) return null;
  if (!isJsonObject(info)) return 'token_count whose "info" is not an object';
  if (at === undefined) return 'token_count without a valid "timestamp"';
  const total = tokensOf(info.total_token_usage);
  const last = tokensOf(info.last_token_usage);
  if (total === undefined && last === undefined) return 'token_count without "total_token_usage" or "last_token_usage"';

  if (total !== undefined && state.total !== undefined && sameTokens(total, state.total)) return null;
  const delta = last ?? subtract(total as CodexTokens, state.total);
  const running = total ?? add(state.running ?? state.total, delta);
  if (total !== undefined) state.total = total;
  state.running = running;
  if (delta.input === 0 && delta.cached === 0 && delta.output === 0 && delta.reasoning === 0) return null;

  const sessionId = state.sessionId ?? sessionIdFromPath(sourcePath);
  const named = nonEmptyString(info.model) ?? nonEmptyString(info.model_name) ?? nonEmptyString(payload.model) ?? state.model;
  const cached = Math.min(delta.cached, delta.input);
  const record: UsageRecord = {
    dedupKey: `${AGENT}:${state.lineage ?? sessionId}:${running.input}:${running.cached}:${running.output}:${running.reasoning}`,
    sessionId,
    model: named ?? FALLBACK_MODEL,
    provider: 'openai',
    inputTokens: delta.input - cached,
    outputTokens: delta.output,
    cacheWriteTokens: 0,
    cacheReadTokens: cached,
    reasoningTokens: Math.min(delta.reasoning, delta.output),
    recordedAt: at,
  };
  if (named === undefined) record.flags = [FALLBACK_FLAG];
  return record;
}

function tokensOf(value: unknown): CodexTokens | undefined {
  if (!isJsonObject(value)) return undefined;
  const input = tokenCount(value.input_tokens);
  const output = tokenCount(value.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  return {
    input,
    cached: tokenCount(value.cached_input_tokens) ?? tokenCount(value.cache_read_input_tokens) ?? 0,
    output,
    reasoning: tokenCount(value.reasoning_output_tokens) ?? 0,
  };
}

function sameTokens(a: CodexTokens, b: CodexTokens): boolean {
  return a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning;
}

/** `current − previous`, never below zero (a reset total counts from zero again). */
function subtract(current: CodexTokens, previous: CodexTokens | undefined): CodexTokens {
  return {
    input: Math.max(0, current.input - (previous?.input ?? 0)),
    cached: Math.max(0, current.cached - (previous?.cached ?? 0)),
    output: Math.max(0, current.output - (previous?.output ?? 0)),
    reasoning: Math.max(0, current.reasoning - (previous?.reasoning ?? 0)),
  };
}

function add(base: CodexTokens | undefined, delta: CodexTokens): CodexTokens {
  return {
    input: (base?.input ?? 0) + delta.input,
    cached: (base?.cached ?? 0) + delta.cached,
    output: (base?.output ?? 0) + delta.output,
    reasoning: (base?.reasoning ?? 0) + delta.reasoning,
  };
}

/** `rollout-2026-03-15T10-00-00-<uuid>.jsonl` → `<uuid>`; else the file name without `.jsonl`. */
export function sessionIdFromPath(path: string): string {
  const file = path.slice(path.lastIndexOf('/') + 1);
  const match = /^rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-(.+)\.jsonl$/.exec(file);
  if (match?.[1] !== undefined) return match[1];
  return file.endsWith('.jsonl') ? file.slice(0, -'.jsonl'.length) : file;
}

/** The state a previous chunk returned, checked: the host hands back whatever it stored. */
export function restoreState(value: unknown): RolloutState | undefined {
  if (!isJsonObject(value)) return undefined;
  const state: RolloutState = {};
  for (const key of ['sessionId', 'lineage', 'cwd', 'model', 'cliVersion', 'startedAt'] as const) {
    const text = nonEmptyString(value[key]);
    if (text !== undefined) state[key] = text;
  }
  const total = restoreTokens(value.total);
  const running = restoreTokens(value.running);
  if (total !== undefined) state.total = total;
  if (running !== undefined) state.running = running;
  return state;
}

function restoreTokens(value: unknown): CodexTokens | undefined {
  if (!isJsonObject(value)) return undefined;
  const input = tokenCount(value.input);
  const cached = tokenCount(value.cached);
  const output = tokenCount(value.output);
  const reasoning = tokenCount(value.reasoning);
  if (input === undefined || cached === undefined || output === undefined || reasoning === undefined) return undefined;
  return { input, cached, output, reasoning };
}
