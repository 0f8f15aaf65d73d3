import type { Knex } from 'knex';
import { ErrorCodes, StorageError } from '../../../core/errors';
import { toEpochRange, type EpochRange } from '../repositories/instant';
import { knexOf, type QueryTarget } from '../repositories/query-target';
import { numberOf, numberOrNull, rawRows, stringOrNull } from '../repositories/row-values';
import { storageCall } from '../repositories/storage-call';
import { SESSION_STATUSES, type AgentSessionCount, type ProjectUsage, type SessionDayCount, type SessionDurationStats, type SessionStatus, type TimeRange } from '../types';
import { localDaySql, usageSumsOf } from './usage-totals-query';
import { byCostThenName, toUsageTotals } from './usage-totals';
import { checkTimeZone, DAY_MS, localDayStart, offsetSpans, periodOfDay } from './zoned-periods';

const DEFAULT_TOP_PROJECTS = 10;

function startedWithin(range: EpochRange, column = 'started_at'): { sql: string; bindings: number[] } {
  const conditions: string[] = [];
  const bindings: number[] = [];
  if (range.from !== null) {
    conditions.push(`${column} >= ?`);
    bindings.push(range.from);
  }
  if (range.to !== null) {
    conditions.push(`${column} < ?`);
    bindings.push(range.to);
  }
  return { sql: conditions.length === 0 ? '' : ` where ${conditions.join(' and ')}`, bindings };
}

/**
 * Session questions: how many by status and by agent, how many started per local day, how long
 * they last, and which projects cost the most. Ranges are `[from, to)` on `startedAt`, except
 * `topProjects`, whose range is on the usage records' `recordedAt` (the money spent then).
 */
export class SessionAggregator {
  constructor(private readonly target: QueryTarget) {}

  /** Sessions per status; every status is present (0 when none). */
  async countsByStatus(range: TimeRange = {}): Promise<Record<SessionStatus, number>> {
    const where = startedWithin(toEpochRange(range));
    const rows = await this.rows('counting sessions by status', `select status, count(*) as n from sessions${where.sql} group by status`, where.bindings);
    const counts = Object.fromEntries(SESSION_STATUSES.map((status) => [status, 0])) as Record<SessionStatus, number>;
    for (const row of rows) {
      const status = String(row.status);
      if (status in counts) counts[status as SessionStatus] += numberOf(row.n);
    }
    return counts;
  }

  /** Sessions per agent, most first (then by agent id). */
  async countsByAgent(range: TimeRange = {}): Promise<AgentSessionCount[]> {
    const where = startedWithin(toEpochRange(range));
    const rows = await this.rows(
      'counting sessions by agent',
      `select agent_id, agent_type, count(*) as n from sessions${where.sql} group by agent_id, agent_type`,
      where.bindings,
    );
    return rows
      .map((row) => ({ agentId: String(row.agent_id), agentType: String(row.agent_type), sessions: numberOf(row.n) }))
      .sort((a, b) => b.sessions - a.sessions || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  /** Sessions started on each local day of `timeZone` (days without sessions are left out), oldest first. */
  async sessionsPerDay(range: TimeRange = {}, timeZone = 'UTC'): Promise<SessionDayCount[]> {
    const zone = checkTimeZone(timeZone);
    const epochRange = toEpochRange(range);
    const where = startedWithin(epochRange);
    const [bounds] = await this.rows('finding the time span of sessions', `select min(started_at) as first, max(started_at) as last from sessions${where.sql}`, where.bindings);
    const first = numberOrNull(bounds?.first);
    const last = numberOrNull(bounds?.last);
    if (first === null || last === null) return [];
    const spans = offsetSpans(zone, first - DAY_MS, last + 2 * DAY_MS);
    const rows = await this.rows(
      'counting sessions per day',
      `select ${localDaySql('started_at', spans)} as day, count(*) as n from sessions${where.sql} group by 1`,
      where.bindings,
    );
    return rows
      .map((row) => ({ dayNumber: numberOf(row.day), sessions: numberOf(row.n) }))
      .sort((a, b) => a.dayNumber - b.dayNumber)
      .map(({ dayNumber, sessions }) => ({ day: periodOfDay(dayNumber, 'day').key, startsAt: localDayStart(dayNumber, spans), sessions }));
  }

  /** Mean session length: (`endedAt`, else `lastActivityAt`) − `startedAt`. */
  async averageDuration(range: TimeRange = {}): Promise<SessionDurationStats> {
    const where = startedWithin(toEpochRange(range));
    const [row] = await this.rows(
      'measuring session durations',
      `select count(*) as n, sum(coalesce(ended_at, last_activity_at) - started_at) as total from sessions${where.sql}`,
      where.bindings,
    );
    const sessions = numberOf(row?.n);
    return { sessions, averageMs: sessions === 0 ? null : numberOf(row?.total) / sessions };
  }

  /** The projects whose sessions' records in `range` cost the most, most expensive first. */
  async topProjects(range: TimeRange = {}, limit = DEFAULT_TOP_PROJECTS): Promise<ProjectUsage[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `limit must be a positive integer, got ${String(limit)}`);
    }
    const where = startedWithin(toEpochRange(range), 'u.recorded_at');
    const rows = await this.rows(
      'ranking projects by cost',
      'select s.project_path, count(distinct s.id) as sessions, count(*) as n, sum(u.input_tokens) as input_tokens, sum(u.output_tokens) as output_tokens, ' +
        'sum(u.cache_write_tokens) as cache_write_tokens, sum(u.cache_read_tokens) as cache_read_tokens, sum(u.reasoning_tokens) as reasoning_tokens, ' +
        `sum(u.cost_usd) as cost_usd from usage_records u join sessions s on s.id = u.session_id${where.sql} group by s.project_path`,
      where.bindings,
    );
    return rows
      .map((row) => ({
        projectPath: stringOrNull(row.project_path),
        sessions: numberOf(row.sessions),
        ...toUsageTotals(usageSumsOf(row)),
      }))
      .sort(byCostThenName((item) => item.projectPath ?? ''))
      .slice(0, limit);
  }

  private async rows(operation: string, sql: string, bindings: Knex.Value[]): Promise<Array<Record<string, unknown>>> {
    return rawRows(await storageCall(operation, () => knexOf(this.target).raw(sql, bindings)));
  }
}
