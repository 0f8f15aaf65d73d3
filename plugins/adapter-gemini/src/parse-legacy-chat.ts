import type { ParseOutput, ParseWarning, UsageRecord } from '@rimuru/sdk';
import { chatFileOf } from './chat-files';
import { isJsonObject, nonEmptyString } from './json-fields';
import { messageUsage } from './message-usage';
import { applyMetadata, sessionEventOf, sessionIdOf, type SessionFacts } from './session-facts';

/**
 * A chat recording from before JSONL: one `session-….json` document
 * `{sessionId, projectHash, startTime, lastUpdated, summary?, messages: […]}`. Its gemini
 * messages become records keyed like the JSONL ones, so a session Gemini CLI migrated to
 * JSONL on resume (it copies every message into the new file and keeps the old one) is
 * counted once. Never throws on bad data.
 */
export function parseLegacyChat(text: string, sourcePath: string, projectPath: string | undefined): ParseOutput {
  const file = chatFileOf(sourcePath);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { records: [], sessions: [], warnings: [{ kind: 'corrupt', message: `${file.stem}.json is not a JSON document` }] };
  }
  if (!isJsonObject(document) || !Array.isArray(document.messages)) {
    return { records: [], sessions: [], warnings: [{ kind: 'unknown-type', message: `${file.stem}.json is not a chat recording (no messages list)` }] };
  }
  const facts: SessionFacts = {};
  applyMetadata(facts, document);
  if (projectPath !== undefined) facts.projectPath = projectPath;
  const sessionId = sessionIdOf(facts, file);
  const warnings: ParseWarning[] = [];
  const records: UsageRecord[] = [];
  let model: string | undefined;
  document.messages.forEach((message, index) => {
    if (!isJsonObject(message) || message.type !== 'gemini') return;
    model = nonEmptyString(message.model) ?? model;
    if (message.tokens === null || message.tokens === undefined) return;
    const usage = messageUsage(message, sessionId, model);
    if ('missing' in usage) warnings.push({ kind: 'missing-field', message: `message ${index + 1}: ${usage.missing}` });
    else if ('record' in usage) records.push(usage.record);
  });
  return { records, sessions: [sessionEventOf(facts, file, { format: 'json' })], warnings };
}
