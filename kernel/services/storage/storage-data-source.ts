import { z } from 'zod';
import type { DataSource } from '../../../sandbox/capabilities';
import { ErrorCodes, RimuruError } from '../../core/errors';
import type { Database } from './database';
import { AgentRepository, CostRepository, MetricsRepository, ModelRepository, SessionRepository } from './repositories';

/** Most rows one `data.query` returns; plugins page with `offset` beyond it. */
export const DATA_QUERY_MAX_ROWS = 1_000;

const page = {
  limit: z.number().int().positive().max(DATA_QUERY_MAX_ROWS).default(100),
  offset: z.number().int().nonnegative().default(0),
};
const range = { from: z.number().int().nonnegative().optional(), to: z.number().int().nonnegative().optional() };

const filters = {
  sessions: z.object({ ...page, ...range, agentId: z.string().min(1).optional() }).strict(),
  costs: z
    .object({ ...page, ...range, sessionId: z.string().min(1).optional(), agentType: z.string().min(1).optional(), model: z.string().min(1).optional() })
    .strict(),
  models: z.object({ ...page, model: z.string().min(1).optional(), provider: z.string().min(1).optional() }).strict(),
  metrics: z.object({ ...page, ...range }).strict(),
  agents: z.object({ ...page, agentType: z.string().min(1).optional() }).strict(),
} as const;

type DataKind = keyof typeof filters;

/**
 * The `data` capability's reads of kernel data, for views, exporters and hooks. Read-only,
 * paged, each kind with a closed filter (an unknown filter key is an error, not ignored), and
 * every row plain JSON (times are epoch milliseconds). The capability host has already checked
 * that the plugin's manifest lists the kind.
 */
export class StorageDataSource implements DataSource {
  private readonly sessions: SessionRepository;
  private readonly costs: CostRepository;
  private readonly models: ModelRepository;
  private readonly metrics: MetricsRepository;
  private readonly agents: AgentRepository;

  constructor(database: Database) {
    this.sessions = new SessionRepository(database);
    this.costs = new CostRepository(database);
    this.models = new ModelRepository(database);
    this.metrics = new MetricsRepository(database);
    this.agents = new AgentRepository(database);
  }

  async query(kind: string, filter: Record<string, unknown>): Promise<unknown[]> {
    if (!(kind in filters)) {
      throw new RimuruError(ErrorCodes.CAPABILITY_BAD_REQUEST, `data.query: unknown kind "${kind}" (known: ${Object.keys(filters).join(', ')})`);
    }
    const parsed = filters[kind as DataKind].safeParse(filter ?? {});
    if (!parsed.success) {
      throw new RimuruError(ErrorCodes.CAPABILITY_BAD_REQUEST, `data.query(${kind}): ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    }
    switch (kind as DataKind) {
      case 'sessions': {
        const f = parsed.data as z.output<typeof filters.sessions>;
        const pageOptions = { limit: f.limit, offset: f.offset };
        if (f.agentId) return this.sessions.findByAgent(f.agentId, pageOptions);
        if (f.from !== undefined || f.to !== undefined) return this.sessions.findInRange(f.from ?? 0, f.to ?? Date.now(), pageOptions);
        return this.sessions.findAll(pageOptions);
      }
      case 'costs': {
        const f = parsed.data as z.output<typeof filters.costs>;
        const options = { limit: f.limit, offset: f.offset, from: f.from, to: f.to };
        if (f.sessionId) return this.costs.findBySession(f.sessionId, options);
        if (f.agentType) return this.costs.findByAgent(f.agentType, options);
        if (f.model) return this.costs.findByModel(f.model, options);
        return this.costs.findAll(options);
      }
      case 'models': {
        const f = parsed.data as z.output<typeof filters.models>;
        if (f.model) {
          const found = await this.models.findByName(f.model, f.provider);
          return found ? [found] : [];
        }
        const all = await this.models.findAll({ limit: f.limit, offset: f.offset });
        return f.provider ? all.filter((m) => m.provider === f.provider) : all;
      }
      case 'metrics': {
        const f = parsed.data as z.output<typeof filters.metrics>;
        const pageOptions = { limit: f.limit, offset: f.offset };
        if (f.from !== undefined || f.to !== undefined) return this.metrics.findInRange(f.from ?? 0, f.to ?? Date.now(), pageOptions);
        return this.metrics.findAll(pageOptions);
      }
      case 'agents': {
        const f = parsed.data as z.output<typeof filters.agents>;
        const pageOptions = { limit: f.limit, offset: f.offset };
        return f.agentType ? this.agents.findByType(f.agentType, pageOptions) : this.agents.findAll(pageOptions);
      }
    }
  }
}
