import type { ParseOutput, ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import { baseName, parentDir } from './copilot-homes';
import { eachJsonObject, isJsonObject, isoTime, nonEmptyString, tokenCount, type JsonObject } from './json-fields';

export const AGENT = 'copilot';

/**
 * Only `session.*` events matter for usage and sessions; the bulk of a session's events
 * (messages, tool calls and their output) stays on the host. The parser applies the same test
 * itself, so what it counts does not depend on whether the host filtered first.
 */
export const SESSION_EVENTS_LINE_CONTAINS = ['"session.'];

/**
 * `session.*` events Copilot CLI writes that carry nothing this adapter reads. Any other
 * `session.*` type is counted as unknown, so a format change shows up in the warnings.
 */
const KNOWN_SESSION_EVENTS = new Set([
  'session.start',
  'session.resume',
  'session.shutdown',
  'session.usage_checkpoint',
  'session.usage_info',
  'session.info',
  'session.warning',
  'session.error',
  'session.idle',
  'session.model_change',
  'session.mode_changed',
  'session.plan_changed',
  'session.title_changed',
  'session.context_changed',
  'session.truncation',
  'session.compaction_start',
  'session.compaction_complete',
  'session.snapshot_rewind',
  'session.handoff',
  'session.task_complete',
  'session.workspace_file_changed',
  'session.tools_updated',
]);

/** One model's cumulative usage in a `session.shutdown`'s `modelMetrics`. */
export interface ModelTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** Carried from one chunk of an `events.jsonl` to the next. */
export interface SessionEventsState {
  v: 1;
  sessionId?: string;
  projectPath?: string;
  startedAt?: string;
  endedAt?: string;
  lastEventAt?: string;
  copilotVersion?: string;
  /** Whether `workspace.yaml` was already consulted for a missing working directory. */
  workspaceChecked?: boolean;
  /** Per model, the totals of the latest `session.shutdown`: the baseline of the next one. */
  baseline: Record<string, ModelTotals>;
}

const TOTAL_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const;

/**
 * Turns `session-state/<id>/events.jsonl` lines into usage records and the session.
 *
 * Usage lives only on `session.shutdown`: per model, totals since the session began. A session
 * resumed later (`copilot --resume`) appends another shutdown whose totals include the earlier
 * legs, so each shutdown is recorded as its difference from the previous one (the baseline is
 * carried in `state`), dated at that shutdown. When a total went down, the counters were
 * restarted (older Copilot versions reset them on resume) and the shutdown is taken as it is.
 * A session without a shutdown yet has no usage: it is reported as a session only.
 *
 * `inputTokens` in `modelMetrics` includes both cache buckets, so uncached input is
 * `inputTokens − cacheReadTokens − cacheWriteTokens` (never below 0); `reasoningTokens` is part
 * of `outputTokens`. `requests.cost` counts premium requests, not dollars, and is never read.
 * Never throws on bad data.
 */
export function parseSessionEvents(lines: readonly string[], sourcePath: string, previous: unknown): ParseOutput & { state: SessionEventsState } {
  const state = readState(previous);
  const warnings: ParseWarning[] = [];
  const records: UsageRecord[] = [];
  const fallbackSessionId = baseName(parentDir(sourcePath));
  let touched = false;

  eachJsonObject(lines, SESSION_EVENTS_LINE_CONTAINS, warnings, (value, index) => {
    const type = nonEmptyString(value.type);
    if (type === undefined) {
      warnings.push({ kind: 'missing-field', message: `line ${index + 1}: an event without a type` });
      return;
    }
    // Other events only mention "session." in their text.
    if (!type.startsWith('session.')) return;
    if (!KNOWN_SESSION_EVENTS.has(type)) {
      warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: unknown event type ${JSON.stringify(type)}` });
      return;
    }
    const at = isoTime(value.timestamp);
    const data = isJsonObject(value.data) ? value.data : undefined;
    touched = true;
    if (at !== undefined) state.lastEventAt = at;

    if (type === 'session.start') {
      noteStart(state, data, at);
    } else if (type === 'session.resume') {
      const cwd = workingDirectory(data);
      if (cwd !== undefined) state.projectPath = cwd;
      delete state.endedAt;
    } else if (type === 'session.shutdown') {
      const sessionId = state.sessionId ?? fallbackSessionId;
      const problems = recordShutdown(state, { sessionId, eventId: nonEmptyString(value.id), at, data }, records);
      for (const problem of problems) warnings.push({ kind: 'missing-field', message: `line ${index + 1}: ${problem}` });
      if (at !== undefined) state.endedAt = at;
    }
  });

  const sessions: SessionEvent[] = touched ? [sessionOf(state, fallbackSessionId)] : [];
  return { records, sessions, state, warnings };
}

function noteStart(state: SessionEventsState, data: JsonObject | undefined, at: string | undefined): void {
  const sessionId = nonEmptyString(data?.sessionId);
  if (sessionId !== undefined) state.sessionId = sessionId;
  const cwd = workingDirectory(data);
  if (cwd !== undefined) state.projectPath = cwd;
  const startedAt = isoTime(data?.startTime) ?? at;
  if (startedAt !== undefined && state.startedAt === undefined) state.startedAt = startedAt;
  const version = nonEmptyString(data?.copilotVersion);
  if (version !== undefined) state.copilotVersion = version;
}

function workingDirectory(data: JsonObject | undefined): string | undefined {
  const context = isJsonObject(data?.context) ? data.context : undefined;
  return nonEmptyString(context?.cwd);
}

interface Shutdown {
  sessionId: string;
  eventId: string | undefined;
  at: string | undefined;
  data: JsonObject | undefined;
}

/** Adds one record per model that used tokens since the previous shutdown; returns what was missing. */
function recordShutdown(state: SessionEventsState, shutdown: Shutdown, records: UsageRecord[]): string[] {
  if (shutdown.at === undefined) return ['a session.shutdown without a timestamp'];
  const metrics = shutdown.data?.modelMetrics;
  if (!isJsonObject(metrics)) return ['a session.shutdown without modelMetrics'];
  const problems: string[] = [];
  for (const [rawModel, entry] of Object.entries(metrics)) {
    const model = rawModel.trim();
    const usage = isJsonObject(entry) && isJsonObject(entry.usage) ? entry.usage : undefined;
    const totals = usage === undefined ? undefined : modelTotals(usage);
    if (model === '' || totals === undefined) {
      problems.push(`modelMetrics ${JSON.stringify(rawModel)} has no usable usage (inputTokens and outputTokens as token counts)`);
      continue;
    }
    const delta = sinceBaseline(totals, state.baseline[model]);
    state.baseline[model] = totals;
    if (TOTAL_KEYS.every((key) => delta[key] === 0)) continue;
    records.push({
      dedupKey: `${AGENT}:${shutdown.sessionId}:${shutdown.eventId ?? shutdown.at}:${model}`,
      sessionId: shutdown.sessionId,
      model,
      inputTokens: Math.max(0, delta.input - delta.cacheRead - delta.cacheWrite),
      outputTokens: delta.output,
      cacheWriteTokens: delta.cacheWrite,
      cacheReadTokens: delta.cacheRead,
      reasoningTokens: Math.min(delta.reasoning, delta.output),
      recordedAt: shutdown.at,
    });
  }
  return problems;
}

/** `inputTokens` and `outputTokens` are required; the cache and reasoning counts default to 0 when absent. */
function modelTotals(usage: JsonObject): ModelTotals | undefined {
  const input = tokenCount(usage.inputTokens);
  const output = tokenCount(usage.outputTokens);
  const optional = (value: unknown): number | undefined => (value === undefined || value === null ? 0 : tokenCount(value));
  const cacheRead = optional(usage.cacheReadTokens);
  const cacheWrite = optional(usage.cacheWriteTokens);
  const reasoning = optional(usage.reasoningTokens);
  if (input === undefined || output === undefined || cacheRead === undefined || cacheWrite === undefined || reasoning === undefined) return undefined;
  return { input, output, cacheRead, cacheWrite, reasoning };
}

/** The usage since `baseline`; all of `totals` when there is none or a counter went down (restarted). */
function sinceBaseline(totals: ModelTotals, baseline: ModelTotals | undefined): ModelTotals {
  if (baseline === undefined || TOTAL_KEYS.some((key) => totals[key] < baseline[key])) return { ...totals };
  return {
    input: totals.input - baseline.input,
    output: totals.output - baseline.output,
    cacheRead: totals.cacheRead - baseline.cacheRead,
    cacheWrite: totals.cacheWrite - baseline.cacheWrite,
    reasoning: totals.reasoning - baseline.reasoning,
  };
}

function sessionOf(state: SessionEventsState, fallbackSessionId: string): SessionEvent {
  const session: SessionEvent = { sessionId: state.sessionId ?? fallbackSessionId };
  if (state.projectPath !== undefined) session.projectPath = state.projectPath;
  if (state.startedAt !== undefined) session.startedAt = state.startedAt;
  if (state.endedAt !== undefined) session.endedAt = state.endedAt;
  const metadata: Record<string, unknown> = { source: 'session-state' };
  if (state.copilotVersion !== undefined) metadata.copilotVersion = state.copilotVersion;
  if (state.lastEventAt !== undefined) metadata.lastEventAt = state.lastEventAt;
  session.metadata = metadata;
  return session;
}

/** The previous chunk's state, or a fresh one when there is none or it is not ours (never trusted blindly). */
export function readState(previous: unknown): SessionEventsState {
  const state: SessionEventsState = { v: 1, baseline: {} };
  if (!isJsonObject(previous) || previous.v !== 1) return state;
  for (const key of ['sessionId', 'projectPath', 'startedAt', 'endedAt', 'lastEventAt', 'copilotVersion'] as const) {
    const value = nonEmptyString(previous[key]);
    if (value !== undefined) state[key] = value;
  }
  if (previous.workspaceChecked === true) state.workspaceChecked = true;
  if (isJsonObject(previous.baseline)) {
    for (const [model, totals] of Object.entries(previous.baseline)) {
      if (!isJsonObject(totals)) continue;
      const counts = TOTAL_KEYS.map((key) => tokenCount(totals[key]));
      if (counts.every((count): count is number => count !== undefined)) {
        const [input, output, cacheRead, cacheWrite, reasoning] = counts as [number, number, number, number, number];
        state.baseline[model] = { input, output, cacheRead, cacheWrite, reasoning };
      }
    }
  }
  return state;
}
