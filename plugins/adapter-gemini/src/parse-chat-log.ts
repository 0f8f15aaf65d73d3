import type { ParseOutput, ParseWarning, UsageRecord } from '@rimuru/sdk';
import { chatFileOf } from './chat-files';
import { eachJsonObject, excerpt, isJsonObject, nonEmptyString, type JsonObject } from './json-fields';
import { messageUsage, tokenWeight } from './message-usage';
import { applyMetadata, isHeader, readFacts, sessionEventOf, sessionIdOf, type SessionFacts } from './session-facts';

/**
 * Lines that matter: gemini messages, the header, `$set` patches and rewinds. User, info and
 * tool-output messages stay on the host. The parser applies the same test itself, so what it
 * counts does not depend on whether the host filtered first.
 */
export const CHAT_LOG_LINE_CONTAINS = ['"type":"gemini"', '"sessionId"', '"$set"', '"$rewindTo"'];

/** Message types Gemini CLI records; any other is counted as unknown. */
const MESSAGE_TYPES = new Set(['user', 'gemini', 'info', 'error', 'warning']);

/** Carried from one chunk of a recording to the next. */
export interface ChatLogState extends SessionFacts {
  v: 1;
  /** The latest model seen, for a message recorded without one. */
  model?: string;
  /** `$rewindTo` lines seen. */
  rewinds: number;
  /** Whether the plugin already looked for the project's path. */
  projectChecked?: boolean;
}

interface Candidate {
  message: JsonObject;
  weight: number;
  /** The model in effect where this write was recorded. */
  model: string | undefined;
  line: number;
}

/**
 * Turns the lines of a JSONL chat recording (`{sessionId, projectHash, startTime, …}`, then
 * messages, `{"$set":…}` metadata patches and `{"$rewindTo":id}` markers) into usage records.
 *
 * Gemini CLI appends a message again each time it changes (tokens filled in, tool calls
 * updated): the last write of an id wins, and since a later write only ever adds tokens, the
 * write with the most tokens is kept — here within a chunk and, through the source's
 * `keep-larger` rule, across chunks, so the result does not depend on where chunks end.
 *
 * A rewind hides messages from the conversation but not from the bill: the model calls behind
 * them were made and paid for, so their usage stays counted (rewinds are counted in the
 * session's metadata). Never throws on bad data.
 */
export function parseChatLog(lines: readonly string[], sourcePath: string, previous: unknown): ParseOutput & { state: ChatLogState } {
  const state = readChatLogState(previous);
  const file = chatFileOf(sourcePath);
  const warnings: ParseWarning[] = [];
  const candidates = new Map<string, Candidate>();
  let touched = false;

  eachJsonObject(lines, CHAT_LOG_LINE_CONTAINS, warnings, (value, index, line) => {
    touched = true;
    if (typeof value.$rewindTo === 'string') {
      state.rewinds += 1;
    } else if (typeof value.id === 'string') {
      const type = nonEmptyString(value.type);
      if (type === undefined || !MESSAGE_TYPES.has(type)) {
        warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: unknown message type ${JSON.stringify(value.type ?? null)}` });
        return;
      }
      if (type !== 'gemini') return;
      const model = nonEmptyString(value.model);
      if (model !== undefined) state.model = model;
      const weight = tokenWeight(value);
      const known = candidates.get(value.id);
      if (known === undefined || weight >= known.weight) candidates.set(value.id, { message: value, weight, model: state.model, line: index + 1 });
    } else if (isJsonObject(value.$set)) {
      applyMetadata(state, value.$set);
    } else if (isHeader(value)) {
      applyMetadata(state, value);
    } else {
      warnings.push({ kind: 'unknown-type', message: `line ${index + 1}: neither a header, a message, $set nor $rewindTo: ${excerpt(line)}` });
    }
  });

  const sessionId = sessionIdOf(state, file);
  const records: UsageRecord[] = [];
  for (const candidate of candidates.values()) {
    // A message whose tokens are not filled in yet (`tokens: null`) gets them in a later write.
    if (candidate.message.tokens === null || candidate.message.tokens === undefined) continue;
    const usage = messageUsage(candidate.message, sessionId, candidate.model);
    if ('missing' in usage) warnings.push({ kind: 'missing-field', message: `line ${candidate.line}: ${usage.missing}` });
    else if ('record' in usage) records.push(usage.record);
  }

  const sessions = touched ? [sessionEventOf(state, file, { format: 'jsonl', rewinds: state.rewinds })] : [];
  return { records, sessions, state, warnings };
}

export function readChatLogState(previous: unknown): ChatLogState {
  if (!isJsonObject(previous) || previous.v !== 1) return { v: 1, rewinds: 0 };
  const state: ChatLogState = { v: 1, rewinds: 0, ...readFacts(previous) };
  const model = nonEmptyString(previous.model);
  if (model !== undefined) state.model = model;
  if (typeof previous.rewinds === 'number' && Number.isSafeInteger(previous.rewinds) && previous.rewinds >= 0) state.rewinds = previous.rewinds;
  if (previous.projectChecked === true) state.projectChecked = true;
  return state;
}
