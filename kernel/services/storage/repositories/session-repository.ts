import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SESSION_STATUSES, type Instant, type PageOptions, type Session, type SessionInput, type SessionStatus } from '../types';
import { instantSchema, jsonObjectSchema, validateInput } from './input-validation';
import { toEpochMs, toEpochRange } from './instant';
import { readJsonColumn } from './json-column';
import type { QueryTarget } from './query-target';
import type { Repository, RepositoryOptions } from './repository';
import { numberOf, numberOrNull, stringOrNull } from './row-values';
import { storageCall } from './storage-call';
import { TableRepository } from './table-repository';

const TABLE = 'sessions';

/** A session counts as active while its status is `active` and it did something this recently. */
export const ACTIVE_SESSION_WINDOW_MS = 30 * 60 * 1000;

const sessionInputSchema = z.object({
  id: z.string().min(1).max(300),
  agentId: z.string().min(1).max(200),
  agentType: z.string().min(1).max(64),
  externalId: z.string().min(1).max(255),
  projectPath: z.string().nullish(),
  title: z.string().nullish(),
  status: z.enum(SESSION_STATUSES).optional(),
  startedAt: instantSchema,
  endedAt: instantSchema.nullish(),
  lastActivityAt: instantSchema.optional(),
  host: z.string().max(200).nullish(),
  metadata: jsonObjectSchema.optional(),
});

interface SessionRow {
  id: string;
  agent_id: string;
  agent_type: string;
  external_id: string;
  project_path: string | null;
  title: string | null;
  status: string;
  started_at: number;
  ended_at: number | null;
  last_activity_at: number;
  host: string | null;
  metadata: string;
}

function toRow(input: SessionInput): SessionRow {
  const session = validateInput(sessionInputSchema, input, 'session');
  const endedAt = session.endedAt ?? null;
  return {
    id: session.id,
    agent_id: session.agentId,
    agent_type: session.agentType,
    external_id: session.externalId,
    project_path: session.projectPath ?? null,
    title: session.title ?? null,
    status: session.status ?? 'active',
    started_at: session.startedAt,
    ended_at: endedAt,
    last_activity_at: session.lastActivityAt ?? endedAt ?? session.startedAt,
    host: session.host ?? null,
    metadata: JSON.stringify(session.metadata ?? {}),
  };
}

function toSession(row: Record<string, unknown>, logger: Logger | undefined): Session {
  const id = String(row.id);
  const status = String(row.status);
  return {
    id,
    agentId: String(row.agent_id),
    agentType: String(row.agent_type),
    externalId: String(row.external_id),
    projectPath: stringOrNull(row.project_path),
    title: stringOrNull(row.title),
    // An unknown status (a newer writer) reads as `idle` rather than breaking the listing.
    status: (SESSION_STATUSES as readonly string[]).includes(status) ? (status as SessionStatus) : 'idle',
    startedAt: numberOf(row.started_at),
    endedAt: numberOrNull(row.ended_at),
    lastActivityAt: numberOf(row.last_activity_at),
    host: stringOrNull(row.host),
    metadata: readJsonColumn(row.metadata, jsonObjectSchema, {}, { table: TABLE, column: 'metadata', id }, logger),
  };
}

const newestFirst = (query: Knex.QueryBuilder): Knex.QueryBuilder => query.orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id' }]);

function activeWhere(query: Knex.QueryBuilder, since: number): Knex.QueryBuilder {
  return query.where({ status: 'active' }).andWhere('last_activity_at', '>=', since);
}

/** Agent sessions. Listings are newest first (`startedAt` descending, then id). */
export class SessionRepository extends TableRepository<Session> implements Repository<Session, string, SessionInput> {
  constructor(target: QueryTarget, options: RepositoryOptions = {}) {
    super(target, TABLE, toSession, options);
  }

  async findById(id: string): Promise<Session | null> {
    return this.one(`reading session ${id}`, (query) => query.where({ id }));
  }

  async findAll(options?: PageOptions): Promise<Session[]> {
    return this.many('listing sessions', newestFirst, options);
  }

  async findByAgent(agentId: string, options?: PageOptions): Promise<Session[]> {
    return this.many(`listing sessions of agent ${agentId}`, (query) => newestFirst(query.where({ agent_id: agentId })), options);
  }

  /** Sessions with status `active` whose last activity is within 30 minutes of `now`. */
  async findActive(now: Instant = Date.now(), options?: PageOptions): Promise<Session[]> {
    const since = toEpochMs(now, 'now') - ACTIVE_SESSION_WINDOW_MS;
    return this.many('listing active sessions', (query) => newestFirst(activeWhere(query, since)), options);
  }

  /** How many sessions `findActive(now)` would list. */
  async getActiveCount(now: Instant = Date.now()): Promise<number> {
    const since = toEpochMs(now, 'now') - ACTIVE_SESSION_WINDOW_MS;
    const row = await storageCall('counting active sessions', () => activeWhere(this.knex(TABLE), since).count({ n: '*' }).first());
    return numberOf(row?.n);
  }

  /** Sessions that started in `[from, to)`. */
  async findInRange(from: Instant, to: Instant, options?: PageOptions): Promise<Session[]> {
    const range = toEpochRange({ from, to });
    return this.many(
      'listing sessions in a time range',
      (query) => newestFirst(query.where('started_at', '>=', range.from).andWhere('started_at', '<', range.to)),
      options,
    );
  }

  async save(session: SessionInput): Promise<Session> {
    const row = toRow(session);
    await storageCall(`saving session ${row.id}`, () => this.knex(TABLE).insert(row).onConflict('id').merge());
    return toSession({ ...row }, this.logger);
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteWhere(`deleting session ${id}`, { id });
  }
}
