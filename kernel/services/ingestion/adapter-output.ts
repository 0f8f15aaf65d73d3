import { z } from 'zod';
import type { AgentDiscovery, IngestSource, SessionEvent, UsageRecord } from '../../../sdk/src/kinds/adapter';
import { ErrorCodes, PluginError } from '../../core/errors';
import type { WarningCounts } from './ingest-summary';

/**
 * What adapters return, checked at the door. A malformed envelope (not an object, no
 * `records` array) fails the call with E3009; inside a valid envelope each record and session
 * is checked on its own, so one bad item is dropped and counted (`invalid-record`) rather than
 * losing the chunk.
 */

const MAX_SAMPLES = 5;

const isoTime = z.string().refine((text) => Number.isFinite(Date.parse(text)), 'an ISO-8601 time');
const tokens = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const discoverySchema = z.object({
  installed: z.boolean(),
  version: z.string().max(64).nullish(),
  paths: z.array(z.string()).default([]),
});

const sourceSchema = z.object({
  id: z.string().min(1).max(1000),
  kind: z.enum(['jsonl', 'json', 'sqlite']),
  path: z.string().min(1),
  lineContains: z.array(z.string().min(1)).optional(),
  conflict: z.enum(['ignore', 'keep-larger']).optional(),
});

const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheWriteTokens', 'cacheReadTokens', 'reasoningTokens'] as const;

const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Checks one record against the adapter contract; returns what is wrong, or `null`. Written
 * out by hand rather than with zod, like the bulk writer's own check: it runs for every record
 * of years of logs, and zod costs several microseconds a record.
 */
function recordProblem(item: unknown): string | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'not an object';
  const record = item as Record<string, unknown>;
  if (!isText(record.dedupKey, 400)) return 'dedupKey: a string of 1–400 characters';
  if (!isText(record.sessionId, 255)) return 'sessionId: a string of 1–255 characters';
  if (!isText(record.model, 200)) return 'model: a string of 1–200 characters';
  if (record.provider !== undefined && record.provider !== null && !isText(record.provider, 100)) return 'provider: a string of 1–100 characters';
  for (const field of TOKEN_FIELDS) if (!isCount(record[field])) return `${field}: a non-negative integer`;
  if (record.cacheWrite1hTokens !== undefined && !isCount(record.cacheWrite1hTokens)) return 'cacheWrite1hTokens: a non-negative integer';
  const cost = record.costUsd;
  if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)) return 'costUsd: a finite non-negative number';
  if (typeof record.recordedAt !== 'string' || !Number.isFinite(Date.parse(record.recordedAt))) return 'recordedAt: an ISO-8601 time';
  const flags = record.flags;
  if (flags !== undefined && (!Array.isArray(flags) || !flags.every((flag) => typeof flag === 'string'))) return 'flags: an array of strings';
  return null;
}

const sessionSchema = z.object({
  sessionId: z.string().min(1).max(255),
  projectPath: z.string().nullish(),
  startedAt: isoTime.nullish(),
  endedAt: isoTime.nullish(),
  title: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

const warningSchema = z.object({
  kind: z.enum(['corrupt', 'missing-field', 'unknown-type', 'other']),
  message: z.string(),
});

const parseOutputSchema = z.object({
  records: z.array(z.unknown()),
  sessions: z.array(z.unknown()).optional(),
  state: z.unknown().optional(),
  warnings: z.array(z.unknown()).optional(),
});

/** A record that passed {@link recordProblem}. */
export type CheckedRecord = UsageRecord;
export type CheckedSession = z.output<typeof sessionSchema> & SessionEvent;

export interface CheckedParseOutput {
  records: CheckedRecord[];
  sessions: CheckedSession[];
  state: unknown;
  warnings: WarningCounts;
  samples: string[];
}

function invalidOutput(plugin: string, method: string, issues: z.ZodError): PluginError {
  const text = issues.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`)
    .join('; ');
  return new PluginError(ErrorCodes.ADAPTER_INVALID_OUTPUT, `Adapter ${plugin}: ${method} returned something that is not what the adapter contract says: ${text}`, {
    details: { plugin, method },
  });
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? 'invalid' : `${issue.path.join('.') || '(value)'}: ${issue.message}`;
}

export function checkDiscovery(plugin: string, value: unknown): AgentDiscovery {
  const result = discoverySchema.safeParse(value);
  if (!result.success) throw invalidOutput(plugin, 'discover', result.error);
  return { installed: result.data.installed, version: result.data.version ?? undefined, paths: result.data.paths };
}

export function checkSources(plugin: string, value: unknown): IngestSource[] {
  const result = z.array(sourceSchema).safeParse(value);
  if (!result.success) throw invalidOutput(plugin, 'sources', result.error);
  return result.data;
}

/**
 * Checks a `parse` result. Records must carry a dedup key in the adapter's own namespace
 * (`<agentType>:…`): a key outside it could replace another agent's records under
 * `keep-larger`, so such records are dropped like any other invalid one.
 */
export function checkParseOutput(plugin: string, agentType: string, value: unknown): CheckedParseOutput {
  const envelope = parseOutputSchema.safeParse(value);
  if (!envelope.success) throw invalidOutput(plugin, 'parse', envelope.error);
  const warnings: WarningCounts = {};
  const samples: string[] = [];
  const note = (kind: keyof WarningCounts & string, message: string): void => {
    warnings[kind as keyof WarningCounts] = (warnings[kind as keyof WarningCounts] ?? 0) + 1;
    if (samples.length < MAX_SAMPLES) samples.push(`${kind}: ${message}`);
  };
  const prefix = `${agentType}:`;
  const records: CheckedRecord[] = [];
  for (const item of envelope.data.records) {
    const problem = recordProblem(item);
    const record = item as CheckedRecord;
    if (problem !== null) note('invalid-record', `record dropped: ${problem}`);
    else if (!record.dedupKey.startsWith(prefix)) note('invalid-record', `record dropped: dedupKey "${record.dedupKey}" does not start with "${prefix}"`);
    else records.push(record);
  }
  const sessions: CheckedSession[] = [];
  for (const item of envelope.data.sessions ?? []) {
    const session = sessionSchema.safeParse(item);
    if (session.success) sessions.push(session.data as CheckedSession);
    else note('invalid-record', `session dropped: ${describeIssue(session.error)}`);
  }
  for (const item of envelope.data.warnings ?? []) {
    const warning = warningSchema.safeParse(item);
    if (warning.success) note(warning.data.kind, warning.data.message);
    else note('other', 'a warning the adapter returned is malformed');
  }
  return { records, sessions, state: envelope.data.state, warnings, samples };
}
