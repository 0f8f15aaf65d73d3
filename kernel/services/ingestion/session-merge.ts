import type { Knex } from 'knex';
import { dialectOf } from '../storage/database/raw-connection';
import { ACTIVE_SESSION_WINDOW_MS } from '../storage/repositories/session-repository';
import { numberOf, numberOrNull, stringOrNull } from '../storage/repositories/row-values';
import type { SessionStatus } from '../storage/types';
import type { CheckedSession } from './adapter-output';

/** What one chunk says about one session, before it is merged with what is stored. */
export interface SessionDelta {
  /** `<agentType>:<externalId>`. */
  id: string;
  agentType: string;
  externalId: string;
  projectPath: string | null;
  title: string | null;
  metadata: Record<string, unknown> | null;
  startedAt: number | null;
  endedAt: number | null;
  lastActivityAt: number | null;
}

/** A session as it stands after a merge, with what it was before (for the hooks). */
export interface MergedSession {
  id: string;
  agentType: string;
  externalId: string;
  projectPath: string | null;
  startedAt: number;
  status: SessionStatus;
  /** `null` when the merge created it. */
  previousStatus: SessionStatus | null;
}

const MAX_SESSION_ID = 300;
// 12 columns a row: far below SQLite's 32766 and PostgreSQL's 65535 bind parameters.
const ROWS_PER_STATEMENT = 500;

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * Collects the sessions one chunk touches: from the adapter's session events and from the
 * records themselves (a record proves its session was active at its time).
 */
export class SessionDeltas {
  private readonly byId = new Map<string, SessionDelta>();

  constructor(private readonly agentType: string) {}

  /** The store's id for an agent's session id, or `null` when it would not fit the column. */
  idOf(externalId: string): string | null {
    const id = `${this.agentType}:${externalId}`;
    return id.length > MAX_SESSION_ID ? null : id;
  }

  private deltaOf(externalId: string): SessionDelta | null {
    const id = this.idOf(externalId);
    if (id === null) return null;
    let delta = this.byId.get(id);
    if (delta === undefined) {
      delta = { id, agentType: this.agentType, externalId, projectPath: null, title: null, metadata: null, startedAt: null, endedAt: null, lastActivityAt: null };
      this.byId.set(id, delta);
    }
    return delta;
  }

  addRecord(externalId: string, recordedAt: number): boolean {
    const delta = this.deltaOf(externalId);
    if (delta === null) return false;
    delta.startedAt = earliest(delta.startedAt, recordedAt);
    delta.lastActivityAt = latest(delta.lastActivityAt, recordedAt);
    return true;
  }

  addEvent(event: CheckedSession): boolean {
    const delta = this.deltaOf(event.sessionId);
    if (delta === null) return false;
    const startedAt = event.startedAt ? Date.parse(event.startedAt) : null;
    const endedAt = event.endedAt ? Date.parse(event.endedAt) : null;
    delta.startedAt = earliest(delta.startedAt, startedAt);
    delta.endedAt = latest(delta.endedAt, endedAt);
    delta.lastActivityAt = latest(delta.lastActivityAt, latest(startedAt, endedAt));
    if (event.projectPath) delta.projectPath = event.projectPath;
    if (event.title) delta.title = event.title;
    if (event.metadata && Object.keys(event.metadata).length > 0) delta.metadata = { ...(delta.metadata ?? {}), ...event.metadata };
    return true;
  }

  get size(): number {
    return this.byId.size;
  }

  values(): SessionDelta[] {
    return [...this.byId.values()];
  }
}

/** A session is active while it was written to within the last 30 minutes; else completed when it has an end, else idle. */
export function sessionStatus(lastActivityAt: number, endedAt: number | null, now: number): SessionStatus {
  if (lastActivityAt >= now - ACTIVE_SESSION_WINDOW_MS) return 'active';
  return endedAt === null ? 'idle' : 'completed';
}

/** The `sessions` columns a merge inserts, in the order of {@link SQLITE_SESSION_UPSERT}'s values. */
export const SESSION_COLUMNS = ['id', 'agent_id', 'agent_type', 'external_id', 'project_path', 'title', 'status', 'started_at', 'ended_at', 'last_activity_at', 'host', 'metadata'] as const;

export type SessionRow = Record<(typeof SESSION_COLUMNS)[number], string | number | null>;

/** The rows a merge inserts for `deltas` (sessions with no time at all start at `fallbackTime`). */
export function sessionRows(deltas: readonly SessionDelta[], now: number, fallbackTime: number): SessionRow[] {
  return deltas.map((delta) => {
    const startedAt = delta.startedAt ?? delta.endedAt ?? delta.lastActivityAt ?? fallbackTime;
    const lastActivityAt = delta.lastActivityAt ?? startedAt;
    return {
      id: delta.id,
      agent_id: delta.agentType,
      agent_type: delta.agentType,
      external_id: delta.externalId,
      project_path: delta.projectPath,
      title: delta.title,
      status: sessionStatus(lastActivityAt, delta.endedAt, now),
      started_at: startedAt,
      ended_at: delta.endedAt,
      last_activity_at: lastActivityAt,
      host: null,
      metadata: JSON.stringify(delta.metadata ?? {}),
    };
  });
}

const SQLITE_ENDED_AT =
  'case when excluded.ended_at is null then sessions.ended_at when sessions.ended_at is null then excluded.ended_at else max(sessions.ended_at, excluded.ended_at) end';
const SQLITE_LAST_ACTIVITY = 'max(sessions.last_activity_at, excluded.last_activity_at)';

/**
 * {@link mergeSessions}' upsert of one row as SQLite SQL, for a writer on the driver directly:
 * the {@link SESSION_COLUMNS} values, then the start of the active window.
 */
export const SQLITE_SESSION_UPSERT =
  `insert into sessions (${SESSION_COLUMNS.join(', ')}) values (${SESSION_COLUMNS.map(() => '?').join(', ')}) on conflict (id) do update set ` +
  'project_path = coalesce(excluded.project_path, sessions.project_path), title = coalesce(excluded.title, sessions.title), ' +
  `started_at = min(sessions.started_at, excluded.started_at), ended_at = ${SQLITE_ENDED_AT}, last_activity_at = ${SQLITE_LAST_ACTIVITY}, ` +
  `metadata = case when excluded.metadata = '{}' then sessions.metadata else excluded.metadata end, ` +
  `status = case when ${SQLITE_LAST_ACTIVITY} >= ? then 'active' when (${SQLITE_ENDED_AT}) is not null then 'completed' else 'idle' end`;

/**
 * Merges session deltas into `sessions` inside the caller's transaction, in SQL: the earliest
 * start, the latest end and activity, new project path/title/metadata over old. Done by the
 * database (not read-modify-write) so two ingests racing on one store cannot lose an update.
 * Sessions with no time at all take `fallbackTime` (the source's mtime) as their start.
 */
export async function mergeSessions(trx: Knex.Transaction, deltas: readonly SessionDelta[], now: number, fallbackTime: number): Promise<MergedSession[]> {
  if (deltas.length === 0) return [];
  const postgres = dialectOf(trx) === 'postgres';
  const least = postgres ? 'least' : 'min';
  const greatest = postgres ? 'greatest' : 'max';
  const activeSince = now - ACTIVE_SESSION_WINDOW_MS;
  const endedAt = `case when excluded.ended_at is null then sessions.ended_at when sessions.ended_at is null then excluded.ended_at else ${greatest}(sessions.ended_at, excluded.ended_at) end`;
  const lastActivity = `${greatest}(sessions.last_activity_at, excluded.last_activity_at)`;
  const merge = {
    project_path: trx.raw('coalesce(excluded.project_path, sessions.project_path)'),
    title: trx.raw('coalesce(excluded.title, sessions.title)'),
    started_at: trx.raw(`${least}(sessions.started_at, excluded.started_at)`),
    ended_at: trx.raw(endedAt),
    last_activity_at: trx.raw(lastActivity),
    metadata: trx.raw(`case when excluded.metadata = '{}' then sessions.metadata else excluded.metadata end`),
    status: trx.raw(`case when ${lastActivity} >= ? then 'active' when (${endedAt}) is not null then 'completed' else 'idle' end`, [activeSince]),
  };

  const ids = deltas.map((delta) => delta.id);
  const before = new Map<string, SessionStatus>();
  for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
    const rows = (await trx('sessions').select('id', 'status').whereIn('id', ids.slice(start, start + ROWS_PER_STATEMENT))) as Array<Record<string, unknown>>;
    for (const row of rows) before.set(String(row.id), String(row.status) as SessionStatus);
  }

  const rows = sessionRows(deltas, now, fallbackTime);
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    await trx('sessions').insert(rows.slice(start, start + ROWS_PER_STATEMENT)).onConflict('id').merge(merge);
  }

  const merged: MergedSession[] = [];
  for (let start = 0; start < ids.length; start += ROWS_PER_STATEMENT) {
    const after = (await trx('sessions')
      .select('id', 'agent_type', 'external_id', 'project_path', 'started_at', 'status')
      .whereIn('id', ids.slice(start, start + ROWS_PER_STATEMENT))) as Array<Record<string, unknown>>;
    for (const row of after) {
      const id = String(row.id);
      merged.push({
        id,
        agentType: String(row.agent_type),
        externalId: String(row.external_id),
        projectPath: stringOrNull(row.project_path),
        startedAt: numberOf(row.started_at),
        status: String(row.status) as SessionStatus,
        previousStatus: before.get(id) ?? null,
      });
    }
  }
  return merged;
}

/** Sessions still marked active whose last activity is older than the active window: marked idle (or completed). */
export async function retireStaleSessions(knex: Knex, now: number): Promise<Array<{ id: string; agentType: string; externalId: string; status: SessionStatus; endedAt: number }>> {
  const since = now - ACTIVE_SESSION_WINDOW_MS;
  return knex.transaction(async (trx) => {
    const stale = (await trx('sessions')
      .select('id', 'agent_type', 'external_id', 'ended_at', 'last_activity_at')
      .where({ status: 'active' })
      .andWhere('last_activity_at', '<', since)) as Array<Record<string, unknown>>;
    if (stale.length === 0) return [];
    await trx('sessions')
      .where({ status: 'active' })
      .andWhere('last_activity_at', '<', since)
      .update({ status: trx.raw(`case when ended_at is null then 'idle' else 'completed' end`) });
    return stale.map((row) => {
      const ended = numberOrNull(row.ended_at);
      return {
        id: String(row.id),
        agentType: String(row.agent_type),
        externalId: String(row.external_id),
        status: ended === null ? ('idle' as const) : ('completed' as const),
        endedAt: ended ?? numberOf(row.last_activity_at),
      };
    });
  });
}
