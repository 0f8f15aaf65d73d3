import { ErrorCodes, StorageError } from '../../../core/errors';

/**
 * One row of `usage_records` as the bulk writer takes it: the table's columns in camelCase,
 * without the generated `id`. Times are epoch milliseconds; token counts are non-negative
 * integers; `inputTokens` is uncached input.
 */
export interface UsageRecordInput {
  /** Unique per model call across re-ingests and machines; the upsert is idempotent on it. */
  dedupKey: string;
  sessionId: string;
  agentType: string;
  model: string;
  provider?: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  /** Part of `cacheWriteTokens` written with the 1-hour TTL. Default 0. */
  cacheWrite1hTokens?: number;
  cacheReadTokens: number;
  /** Part of `outputTokens`. Default 0. */
  reasoningTokens?: number;
  costUsd: number;
  costSource: 'reported' | 'calculated';
  /** Epoch milliseconds of the model call. */
  recordedAt: number;
  /** Where a value was guessed, e.g. `["fallback-model"]`; stored as JSON. */
  flags?: string[];
}

/** A validated record as stored: every column present, `flags` already JSON. */
export type UsageRow = Required<Omit<UsageRecordInput, 'provider' | 'flags'>> & { provider: string | null; flags: string | null };

/** The token total that decides `keep-larger` (reasoning and 1h cache writes are parts of others). */
export function tokenTotal(row: UsageRow): number {
  return row.inputTokens + row.outputTokens + row.cacheWriteTokens + row.cacheReadTokens;
}

// Column widths of 0001-initial-schema: PostgreSQL enforces them and SQLite does not, so they
// are checked here to make both backends accept and refuse the same records.
const MAX_LENGTH = { dedupKey: 400, sessionId: 300, agentType: 64, model: 200, provider: 100 } as const;
const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheWriteTokens', 'cacheReadTokens'] as const;
const OPTIONAL_TOKEN_FIELDS = ['cacheWrite1hTokens', 'reasoningTokens'] as const;
const MAX_REPORTED_PROBLEMS = 5;

function problemsOf(record: UsageRecordInput): string[] {
  const problems: string[] = [];
  if (record === null || typeof record !== 'object') return ['is not an object'];
  for (const field of ['dedupKey', 'sessionId', 'agentType', 'model'] as const) {
    const value: unknown = record[field];
    if (typeof value !== 'string' || value.length === 0) problems.push(`${field} must be a non-empty string`);
    else if (value.length > MAX_LENGTH[field]) problems.push(`${field} is ${value.length} characters, over ${MAX_LENGTH[field]}`);
  }
  const provider: unknown = record.provider;
  if (provider !== undefined && provider !== null && (typeof provider !== 'string' || provider.length > MAX_LENGTH.provider)) {
    problems.push(`provider must be a string of at most ${MAX_LENGTH.provider} characters`);
  }
  for (const field of TOKEN_FIELDS) {
    const value: unknown = record[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) problems.push(`${field} must be a non-negative integer, got ${String(value)}`);
  }
  for (const field of OPTIONAL_TOKEN_FIELDS) {
    const value: unknown = record[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
      problems.push(`${field} must be a non-negative integer, got ${String(value)}`);
    }
  }
  const cost: unknown = record.costUsd;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) problems.push(`costUsd must be a finite non-negative number, got ${String(cost)}`);
  if (record.costSource !== 'reported' && record.costSource !== 'calculated') {
    problems.push(`costSource must be "reported" or "calculated", got ${JSON.stringify(record.costSource)}`);
  }
  const at: unknown = record.recordedAt;
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) problems.push(`recordedAt must be epoch milliseconds, got ${String(at)}`);
  const flags: unknown = record.flags;
  if (flags !== undefined && (!Array.isArray(flags) || !flags.every((flag) => typeof flag === 'string'))) problems.push('flags must be an array of strings');
  return problems;
}

/**
 * Checks every record before any is written (a batch is all or nothing) and turns them into
 * rows. A hand-written check rather than zod: this runs a million times per bulk load.
 *
 * @throws StorageError E1008 naming the first bad records by index and dedup key.
 */
export function toUsageRows(records: readonly UsageRecordInput[]): UsageRow[] {
  const rows: UsageRow[] = new Array<UsageRow>(records.length);
  const bad: string[] = [];
  let badCount = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as UsageRecordInput;
    const problems = problemsOf(record);
    if (problems.length > 0) {
      badCount++;
      if (bad.length < MAX_REPORTED_PROBLEMS) {
        const key = typeof record?.dedupKey === 'string' ? JSON.stringify(record.dedupKey) : '(no dedupKey)';
        bad.push(`record ${index} ${key}: ${problems.join(', ')}`);
      }
      continue;
    }
    rows[index] = {
      dedupKey: record.dedupKey,
      sessionId: record.sessionId,
      agentType: record.agentType,
      model: record.model,
      provider: record.provider ?? null,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      cacheWriteTokens: record.cacheWriteTokens,
      cacheWrite1hTokens: record.cacheWrite1hTokens ?? 0,
      cacheReadTokens: record.cacheReadTokens,
      reasoningTokens: record.reasoningTokens ?? 0,
      costUsd: record.costUsd,
      costSource: record.costSource,
      recordedAt: record.recordedAt,
      flags: record.flags === undefined ? null : JSON.stringify(record.flags),
    };
  }
  if (badCount > 0) {
    const more = badCount > bad.length ? `; and ${badCount - bad.length} more` : '';
    throw new StorageError(ErrorCodes.DB_INVALID_RECORD, `${badCount} of ${records.length} usage records are invalid, nothing was written: ${bad.join('; ')}${more}`, {
      details: { invalid: badCount, total: records.length },
    });
  }
  return rows;
}
