import type { Knex } from 'knex';
import { ACTIVE_SESSION_WINDOW_MS, type Database, type Session, type SessionStatus, type UsageTotals } from '../../services/storage';
import { roundUsd } from '../../services/storage/aggregators/usage-totals';
import { numberOf, numberOrNull, stringOrNull } from '../../services/storage/repositories/row-values';
import { storageCall } from '../../services/storage/repositories/storage-call';
import { emptyContractTotals } from './contract-totals';
import { usageRecordsWhere, type RecordScanQuery } from './usage-record-scan';

/** A session as the reports list it: the stored row without its agent id, host and metadata; `status` as stored. */
export type SessionRow = Omit<Session, 'agentId' | 'host' | 'metadata'>;

/** Tokens, cost and how many records add up to them. */
export type UsageSummary = UsageTotals;

/** What one session's records add up to (within the asked range). */
export interface SessionUsage {
  sessionId: string;
  agentType: string;
  firstRecordAt: number;
  lastRecordAt: number;
  totals: UsageSummary;
  /** Per model, as logged. */
  models: Map<string, UsageSummary>;
}

/** Which sessions: those whose span `[startedAt, last activity]` overlaps `[from, to)`. */
export interface SessionFilter {
  from: number | null;
  to: number | null;
  agents?: readonly string[];
  projectPath?: string;
  /** Newest first, at most this many. */
  limit?: number;
}

const IN_CHUNK = 500;

export function emptyUsage(): UsageSummary {
  return { ...emptyContractTotals(), records: 0 };
}

export function addUsage(into: UsageSummary, from: UsageSummary): void {
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cacheWriteTokens += from.cacheWriteTokens;
  into.cacheReadTokens += from.cacheReadTokens;
  into.reasoningTokens += from.reasoningTokens;
  into.totalTokens += from.totalTokens;
  into.costUsd = roundUsd(into.costUsd + from.costUsd);
  into.records += from.records;
}

/**
 * A session's status as a person means it: a session stored as `active` that has done nothing
 * for 30 minutes is `idle`.
 */
export function effectiveStatus(session: SessionRow, now: number): SessionStatus {
  if (session.status === 'active' && session.lastActivityAt < now - ACTIVE_SESSION_WINDOW_MS) return 'idle';
  return session.status;
}

function toSessionRow(row: Record<string, unknown>): SessionRow {
  return {
    id: String(row.id),
    agentType: String(row.agent_type),
    externalId: String(row.external_id),
    projectPath: stringOrNull(row.project_path),
    title: stringOrNull(row.title),
    status: String(row.status) as SessionStatus,
    startedAt: numberOf(row.started_at),
    endedAt: numberOrNull(row.ended_at),
    lastActivityAt: numberOf(row.last_activity_at),
  };
}

const SESSION_COLUMNS = ['id', 'agent_type', 'external_id', 'project_path', 'title', 'status', 'started_at', 'ended_at', 'last_activity_at'];

/** Sessions matching the filter, newest first. */
export async function loadSessions(database: Database, filter: SessionFilter): Promise<SessionRow[]> {
  const rows = await storageCall('listing sessions for a report', () => {
    const builder = database.knex('sessions').select(SESSION_COLUMNS);
    if (filter.to !== null) builder.where('started_at', '<', filter.to);
    if (filter.from !== null) builder.where('last_activity_at', '>=', filter.from);
    if (filter.agents !== undefined) builder.whereIn('agent_type', [...filter.agents]);
    if (filter.projectPath !== undefined) builder.where('project_path', filter.projectPath);
    builder.orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id' }]);
    if (filter.limit !== undefined) builder.limit(filter.limit);
    return builder as Promise<Array<Record<string, unknown>>>;
  });
  return rows.map(toSessionRow);
}

/** Stored sessions by id (those that exist). */
export async function loadSessionsById(database: Database, ids: readonly string[]): Promise<Map<string, SessionRow>> {
  const found = new Map<string, SessionRow>();
  for (let start = 0; start < ids.length; start += IN_CHUNK) {
    const chunk = ids.slice(start, start + IN_CHUNK);
    const rows = await storageCall('reading sessions for a report', () =>
      database.knex('sessions').select(SESSION_COLUMNS).whereIn('id', chunk) as Promise<Array<Record<string, unknown>>>,
    );
    for (const row of rows.map(toSessionRow)) found.set(row.id, row);
  }
  return found;
}

/**
 * Finds a session by its id (`<agent>:<agent's id>`), by the agent's own id, or by a prefix of
 * either that only one session has. Returns every candidate when the prefix is ambiguous.
 */
export async function findSessions(database: Database, needle: string): Promise<SessionRow[]> {
  const exact = await storageCall('finding a session', () =>
    database.knex('sessions').select(SESSION_COLUMNS).where('id', needle).orWhere('external_id', needle).limit(20) as Promise<Array<Record<string, unknown>>>,
  );
  if (exact.length > 0) return exact.map(toSessionRow);
  const pattern = `${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const prefixed = await storageCall('finding a session', () =>
    database
      .knex('sessions')
      .select(SESSION_COLUMNS)
      .whereRaw("id like ? escape '\\'", [pattern])
      .orWhereRaw("external_id like ? escape '\\'", [pattern])
      .orderBy('started_at', 'desc')
      .limit(20) as Promise<Array<Record<string, unknown>>>,
  );
  return prefixed.map(toSessionRow);
}

function summaryOf(row: Record<string, unknown>): UsageSummary {
  const inputTokens = numberOf(row.input_tokens);
  const outputTokens = numberOf(row.output_tokens);
  const cacheWriteTokens = numberOf(row.cache_write_tokens);
  const cacheReadTokens = numberOf(row.cache_read_tokens);
  return {
    inputTokens,
    outputTokens,
    cacheWriteTokens,
    cacheReadTokens,
    reasoningTokens: numberOf(row.reasoning_tokens),
    totalTokens: inputTokens + outputTokens + cacheWriteTokens + cacheReadTokens,
    costUsd: roundUsd(numberOf(row.cost_usd)),
    records: numberOf(row.n),
  };
}

function groupedBySessionAndModel(builder: Knex.QueryBuilder): Knex.QueryBuilder {
  return builder
    .select('u.session_id', 'u.agent_type', 'u.model')
    .count({ n: '*' })
    .sum({ input_tokens: 'u.input_tokens', output_tokens: 'u.output_tokens', cache_write_tokens: 'u.cache_write_tokens', cache_read_tokens: 'u.cache_read_tokens', reasoning_tokens: 'u.reasoning_tokens', cost_usd: 'u.cost_usd' })
    .min({ first: 'u.recorded_at' })
    .max({ last: 'u.recorded_at' })
    .groupBy('u.session_id', 'u.agent_type', 'u.model');
}

function fold(rows: Array<Record<string, unknown>>, into: Map<string, SessionUsage>): void {
  for (const row of rows) {
    const sessionId = String(row.session_id);
    const summary = summaryOf(row);
    let usage = into.get(sessionId);
    if (usage === undefined) {
      usage = { sessionId, agentType: String(row.agent_type), firstRecordAt: Infinity, lastRecordAt: -Infinity, totals: emptyUsage(), models: new Map() };
      into.set(sessionId, usage);
    }
    usage.firstRecordAt = Math.min(usage.firstRecordAt, numberOf(row.first));
    usage.lastRecordAt = Math.max(usage.lastRecordAt, numberOf(row.last));
    addUsage(usage.totals, summary);
    const model = String(row.model);
    const modelUsage = usage.models.get(model) ?? emptyUsage();
    addUsage(modelUsage, summary);
    usage.models.set(model, modelUsage);
  }
}

/** Token and cost sums of the records matching `query`, per session (and per model within it). */
export async function usageBySession(database: Database, query: RecordScanQuery): Promise<Map<string, SessionUsage>> {
  const rows = await storageCall('summing usage per session', () =>
    groupedBySessionAndModel(usageRecordsWhere(database.knex, query)) as Promise<Array<Record<string, unknown>>>,
  );
  const usage = new Map<string, SessionUsage>();
  fold(rows, usage);
  return usage;
}

/** All-time sums of the given sessions' records. */
export async function usageOfSessions(database: Database, sessionIds: readonly string[]): Promise<Map<string, SessionUsage>> {
  const usage = new Map<string, SessionUsage>();
  for (let start = 0; start < sessionIds.length; start += IN_CHUNK) {
    const chunk = sessionIds.slice(start, start + IN_CHUNK);
    const rows = await storageCall('summing usage per session', () =>
      groupedBySessionAndModel(database.knex('usage_records as u').whereIn('u.session_id', chunk)) as Promise<Array<Record<string, unknown>>>,
    );
    fold(rows, usage);
  }
  return usage;
}
