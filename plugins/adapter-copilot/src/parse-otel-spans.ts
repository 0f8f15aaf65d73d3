import type { ParseWarning, SessionEvent, UsageRecord } from '@rimuru/sdk';
import { eachJsonObject, excerpt, isJsonObject, isoTime, nonEmptyString, tokenCount, type JsonObject } from './json-fields';
import { AGENT } from './parse-session-events';

/** Every record worth reading carries `gen_ai.*` attributes. */
export const OTEL_LINE_CONTAINS = ['"gen_ai.'];

/** Attributes that name the Copilot session (`gen_ai.conversation.id` first). */
const SESSION_ATTRIBUTES = ['gen_ai.conversation.id', 'copilot_chat.session_id', 'session.id'];
const MODEL_ATTRIBUTES = ['gen_ai.response.model', 'gen_ai.request.model'];
/** Trace contexts remembered across chunks. */
const MAX_REMEMBERED_TRACES = 1_000;
/** Chat spans waiting for their trace's session or model, across chunks. */
const MAX_PENDING_CALLS = 1_000;
/** Sessions known to have session-state, remembered across chunks. */
const MAX_REMEMBERED_COVERED = 5_000;

interface TraceContext {
  sessionId?: string;
  model?: string;
}

interface SpanUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** A chat span's call, before its session and model are known for sure. */
interface SpanCall {
  traceId?: string;
  spanId?: string;
  at: string;
  sessionId?: string;
  model?: string;
  usage: SpanUsage;
}

/** Carried from one chunk of an OTel file to the next. */
export interface OtelState {
  v: 1;
  traces: Array<[string, TraceContext]>;
  /** Chat spans whose session or model sits on a record of their trace not read yet. */
  pending: SpanCall[];
  covered: string[];
}

export interface OtelParse {
  records: UsageRecord[];
  sessions: SessionEvent[];
  warnings: ParseWarning[];
  state: OtelState;
  /** Chat spans left out because their session's session-state shutdown totals count them. */
  coveredSpans: number;
}

/** Answers whether a session has a `session-state/<id>/events.jsonl` (whose shutdowns then count its usage). */
export type HasSessionState = (sessionId: string) => Promise<boolean>;

/**
 * Turns Copilot OpenTelemetry file-export lines into one usage record per chat span
 * (`gen_ai.operation.name == "chat"` or a span named `chat …`), from its `gen_ai.usage.*`
 * attributes. Agent-summary spans and inference/turn logs repeat the chat spans' usage and are
 * not counted. The session is `gen_ai.conversation.id`, the model `gen_ai.response.model`, else
 * `gen_ai.request.model` — from the span itself or, failing that, from another record of the
 * same trace (a chat span ends, and is written, before its parent: a span whose trace has not
 * named them yet waits in `state` for a later chunk).
 *
 * No double counting with session-state: a span whose session has a
 * `session-state/<id>/events.jsonl` is left out, since that session's `session.shutdown`
 * totals count the same calls. OTel therefore adds only sessions Copilot keeps no state for
 * (pruned, or exported from elsewhere). `input_tokens` includes cache reads and writes, as in
 * session-state. Never throws on bad data.
 */
export async function parseOtelSpans(lines: readonly string[], previous: unknown, hasSessionState: HasSessionState): Promise<OtelParse> {
  const state = readOtelState(previous);
  const traces = new Map(state.traces);
  const covered = new Set(state.covered);
  const warnings: ParseWarning[] = [];
  const calls: SpanCall[] = [...state.pending];

  eachJsonObject(lines, OTEL_LINE_CONTAINS, warnings, (value, index, line) => {
    if (!isJsonObject(value.attributes)) {
      warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: an OpenTelemetry record without attributes: ${excerpt(line)}` });
      return;
    }
    const attributes = value.attributes;
    const traceId = nonEmptyString(value.traceId) ?? (isJsonObject(value.spanContext) ? nonEmptyString(value.spanContext.traceId) : undefined);
    const sessionId = firstString(attributes, SESSION_ATTRIBUTES);
    const model = firstString(attributes, MODEL_ATTRIBUTES);
    if (traceId !== undefined) remember(traces, traceId, { sessionId, model });
    if (!isChatSpan(value, attributes)) return;
    const at = spanTime(value);
    const usage = spanUsage(attributes);
    if (at === undefined || usage === undefined) {
      const missing = [at === undefined ? 'an end or start time' : undefined, usage === undefined ? 'gen_ai.usage.input_tokens/output_tokens' : undefined];
      warnings.push({ kind: 'missing-field', message: `line ${index + 1}: a chat span without ${missing.filter(Boolean).join(', ')}` });
      return;
    }
    const spanId = nonEmptyString(value.spanId) ?? (isJsonObject(value.spanContext) ? nonEmptyString(value.spanContext.spanId) : undefined);
    calls.push(withoutUndefined({ traceId, spanId, at, sessionId, model, usage }));
  });

  const records: UsageRecord[] = [];
  const pending: SpanCall[] = [];
  const spans = new Map<string, { first: string; last: string }>();
  let coveredSpans = 0;
  for (const call of calls) {
    const context = call.traceId === undefined ? undefined : traces.get(call.traceId);
    const sessionId = call.sessionId ?? context?.sessionId;
    const model = call.model ?? context?.model;
    if (sessionId === undefined || model === undefined) {
      if (call.traceId !== undefined) pending.push(call);
      else warnings.push({ kind: 'missing-field', message: `a chat span at ${call.at} without ${sessionId === undefined ? 'gen_ai.conversation.id' : 'gen_ai.response.model'} and without a trace to find it in` });
      continue;
    }
    if (covered.has(sessionId) || (await hasSessionState(sessionId))) {
      covered.add(sessionId);
      coveredSpans += 1;
      continue;
    }
    records.push(recordOf(call, sessionId, model));
    const seen = spans.get(sessionId);
    spans.set(sessionId, seen === undefined ? { first: call.at, last: call.at } : { first: call.at < seen.first ? call.at : seen.first, last: call.at > seen.last ? call.at : seen.last });
  }
  for (const dropped of pending.splice(0, Math.max(0, pending.length - MAX_PENDING_CALLS))) {
    warnings.push({ kind: 'missing-field', message: `a chat span at ${dropped.at} whose trace never named its session or model` });
  }

  return {
    records,
    sessions: [...spans].map(([sessionId, { first, last }]) => ({ sessionId, startedAt: first, metadata: { source: 'otel', lastEventAt: last } })),
    warnings,
    state: { v: 1, traces: [...traces].slice(-MAX_REMEMBERED_TRACES), pending, covered: [...covered].slice(-MAX_REMEMBERED_COVERED) },
    coveredSpans,
  };
}

function recordOf(call: SpanCall, sessionId: string, model: string): UsageRecord {
  const { usage } = call;
  return {
    dedupKey:
      call.traceId !== undefined && call.spanId !== undefined
        ? `${AGENT}:otel:${call.traceId}:${call.spanId}`
        : `${AGENT}:otel:${sessionId}:${call.at}:${model}:${usage.input}:${usage.output}:${usage.cacheRead}:${usage.cacheWrite}`,
    sessionId,
    model,
    inputTokens: Math.max(0, usage.input - usage.cacheRead - usage.cacheWrite),
    outputTokens: usage.output,
    cacheWriteTokens: usage.cacheWrite,
    cacheReadTokens: usage.cacheRead,
    reasoningTokens: Math.min(usage.reasoning, usage.output),
    recordedAt: call.at,
  };
}

function isChatSpan(record: JsonObject, attributes: JsonObject): boolean {
  const name = nonEmptyString(record.name);
  const isSpan = record.type === 'span' || (record.type === undefined && name !== undefined && (record.spanId !== undefined || record.traceId !== undefined));
  return isSpan && (attributes['gen_ai.operation.name'] === 'chat' || (name !== undefined && name.startsWith('chat ')));
}

function spanUsage(attributes: JsonObject): SpanUsage | undefined {
  const input = tokenCount(attributes['gen_ai.usage.input_tokens']);
  const output = tokenCount(attributes['gen_ai.usage.output_tokens']);
  if (input === undefined && output === undefined) return undefined;
  const first = (keys: readonly string[]): number => keys.map((key) => tokenCount(attributes[key])).find((count) => count !== undefined) ?? 0;
  return {
    input: input ?? 0,
    output: output ?? 0,
    cacheRead: first(['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens']),
    cacheWrite: first(['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.cache_creation_input_tokens']),
    reasoning: first(['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens']),
  };
}

/** The span's end (else start) time: `[seconds, nanoseconds]` (the JS SDK's HrTime), epoch ms, or ISO text. */
function spanTime(record: JsonObject): string | undefined {
  for (const key of ['endTime', 'startTime', 'timestamp', 'time']) {
    const value = record[key];
    if (Array.isArray(value) && value.length === 2) {
      const [seconds, nanos] = value.map((part) => tokenCount(part));
      if (seconds !== undefined && nanos !== undefined) return isoTime(seconds * 1000 + Math.floor(nanos / 1e6));
    } else {
      const time = isoTime(value);
      if (time !== undefined) return time;
    }
  }
  return undefined;
}

function firstString(attributes: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = nonEmptyString(attributes[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function remember(traces: Map<string, TraceContext>, traceId: string, found: TraceContext): void {
  const known = traces.get(traceId) ?? {};
  const merged = withoutUndefined({ sessionId: known.sessionId ?? found.sessionId, model: known.model ?? found.model });
  if (merged.sessionId === undefined && merged.model === undefined) return;
  traces.delete(traceId);
  traces.set(traceId, merged);
  if (traces.size > MAX_REMEMBERED_TRACES) traces.delete(traces.keys().next().value as string);
}

/** The object without its `undefined` fields, so that it survives a JSON round trip unchanged. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function readOtelState(previous: unknown): OtelState {
  const state: OtelState = { v: 1, traces: [], pending: [], covered: [] };
  if (!isJsonObject(previous) || previous.v !== 1) return state;
  if (Array.isArray(previous.traces)) {
    for (const entry of previous.traces) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !isJsonObject(entry[1])) continue;
      state.traces.push([entry[0], withoutUndefined({ sessionId: nonEmptyString(entry[1].sessionId), model: nonEmptyString(entry[1].model) })]);
    }
  }
  if (Array.isArray(previous.pending)) {
    for (const entry of previous.pending) {
      const call = readCall(entry);
      if (call !== undefined) state.pending.push(call);
    }
  }
  if (Array.isArray(previous.covered)) state.covered = previous.covered.filter((id): id is string => typeof id === 'string');
  return state;
}

function readCall(value: unknown): SpanCall | undefined {
  if (!isJsonObject(value) || !isJsonObject(value.usage)) return undefined;
  const at = isoTime(value.at);
  const usage = value.usage;
  const counts = (['input', 'output', 'cacheRead', 'cacheWrite', 'reasoning'] as const).map((key) => tokenCount(usage[key]));
  if (at === undefined || counts.some((count) => count === undefined)) return undefined;
  const [input, output, cacheRead, cacheWrite, reasoning] = counts as [number, number, number, number, number];
  return withoutUndefined({
    traceId: nonEmptyString(value.traceId),
    spanId: nonEmptyString(value.spanId),
    at,
    sessionId: nonEmptyString(value.sessionId),
    model: nonEmptyString(value.model),
    usage: { input, output, cacheRead, cacheWrite, reasoning },
  });
}
