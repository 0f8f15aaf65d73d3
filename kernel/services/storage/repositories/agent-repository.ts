import type { Logger } from 'pino';
import { z } from 'zod';
import { AGENT_STATUSES, type Agent, type AgentInput, type AgentStatus, type PageOptions } from '../types';
import { instantSchema, jsonObjectSchema, stringListSchema, validateInput } from './input-validation';
import { readJsonColumn } from './json-column';
import type { QueryTarget } from './query-target';
import type { Repository, RepositoryOptions } from './repository';
import { numberOf, stringOrNull } from './row-values';
import { storageCall } from './storage-call';
import { TableRepository } from './table-repository';

const TABLE = 'agents';

const agentInputSchema = z.object({
  id: z.string().min(1).max(200),
  agentType: z.string().min(1).max(64),
  displayName: z.string().min(1).max(200),
  version: z.string().max(64).nullish(),
  host: z.string().max(200).nullish(),
  paths: stringListSchema.optional(),
  status: z.enum(AGENT_STATUSES).optional(),
  discoveredAt: instantSchema,
  lastSeenAt: instantSchema.optional(),
  metadata: jsonObjectSchema.optional(),
});

interface AgentRow {
  id: string;
  agent_type: string;
  display_name: string;
  version: string | null;
  host: string | null;
  paths: string;
  status: string;
  discovered_at: number;
  last_seen_at: number;
  metadata: string;
}

function toRow(input: AgentInput): AgentRow {
  const agent = validateInput(agentInputSchema, input, 'agent');
  return {
    id: agent.id,
    agent_type: agent.agentType,
    display_name: agent.displayName,
    version: agent.version ?? null,
    host: agent.host ?? null,
    paths: JSON.stringify(agent.paths ?? []),
    status: agent.status ?? 'installed',
    discovered_at: agent.discoveredAt,
    last_seen_at: agent.lastSeenAt ?? agent.discoveredAt,
    metadata: JSON.stringify(agent.metadata ?? {}),
  };
}

function toAgent(row: Record<string, unknown>, logger: Logger | undefined): Agent {
  const id = String(row.id);
  const status = String(row.status);
  return {
    id,
    agentType: String(row.agent_type),
    displayName: String(row.display_name),
    version: stringOrNull(row.version),
    host: stringOrNull(row.host),
    paths: readJsonColumn(row.paths, stringListSchema, [], { table: TABLE, column: 'paths', id }, logger),
    // An unknown status (a newer writer) reads as `missing` rather than breaking the listing.
    status: (AGENT_STATUSES as readonly string[]).includes(status) ? (status as AgentStatus) : 'missing',
    discoveredAt: numberOf(row.discovered_at),
    lastSeenAt: numberOf(row.last_seen_at),
    metadata: readJsonColumn(row.metadata, jsonObjectSchema, {}, { table: TABLE, column: 'metadata', id }, logger),
  };
}

/** Agents found on the machines that share this store. Listings are ordered by id. */
export class AgentRepository extends TableRepository<Agent> implements Repository<Agent, string, AgentInput> {
  constructor(target: QueryTarget, options: RepositoryOptions = {}) {
    super(target, TABLE, toAgent, options);
  }

  async findById(id: string): Promise<Agent | null> {
    return this.one(`reading agent ${id}`, (query) => query.where({ id }));
  }

  async findAll(options?: PageOptions): Promise<Agent[]> {
    return this.many('listing agents', (query) => query.orderBy('id'), options);
  }

  async findByType(agentType: string, options?: PageOptions): Promise<Agent[]> {
    return this.many(`listing agents of type ${agentType}`, (query) => query.where({ agent_type: agentType }).orderBy('id'), options);
  }

  /** Agents whose status is `active`. */
  async findActive(options?: PageOptions): Promise<Agent[]> {
    return this.many('listing active agents', (query) => query.where({ status: 'active' }).orderBy('id'), options);
  }

  /** How many agents there are, optionally of one status and type. */
  async count(filter: { status?: AgentStatus; agentType?: string } = {}): Promise<number> {
    const where: Record<string, string> = {};
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.agentType !== undefined) where.agent_type = filter.agentType;
    const row = await storageCall('counting agents', () => this.knex(TABLE).where(where).count({ n: '*' }).first());
    return numberOf(row?.n);
  }

  async save(agent: AgentInput): Promise<Agent> {
    const row = toRow(agent);
    await storageCall(`saving agent ${row.id}`, () => this.knex(TABLE).insert(row).onConflict('id').merge());
    return toAgent({ ...row }, this.logger);
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteWhere(`deleting agent ${id}`, { id });
  }
}
