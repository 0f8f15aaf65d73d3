import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, StorageError, errorMessage } from '../../../core/errors';
import { Database } from '../database/database';
import { toEpochRange } from '../repositories/instant';
import { knexOf, targetDialect, type QueryTarget } from '../repositories/query-target';
import { storageCall } from '../repositories/storage-call';
import type { CostFilter } from '../types';
import { refreshUsageRollups, rollupBacklog } from './usage-rollups';
import { queryUsageGroups, type UsageGrouping, type UsageGroupRow, type UsageQuery } from './usage-totals-query';

// Past this many unfolded records (SQLite) or uncompacted rollup rows, a read refreshes first.
const REFRESH_BACKLOG = 20_000;

const filterSchema = z.object({
  agents: z.array(z.string().min(1)).optional(),
  models: z.array(z.string().min(1)).optional(),
  projectPath: z.string().optional(),
  sessionId: z.string().min(1).optional(),
});

/**
 * A cost filter as a checked usage query.
 * @throws StorageError E1009 for a reversed range or a malformed filter.
 */
export function toUsageQuery(filter: CostFilter = {}): UsageQuery {
  const parsed = filterSchema.safeParse({ agents: filter.agents, models: filter.models, projectPath: filter.projectPath, sessionId: filter.sessionId });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `invalid cost filter: ${issues}`);
  }
  const { from, to } = toEpochRange(filter, 'filter');
  const query: UsageQuery = { from, to };
  if (parsed.data.agents !== undefined) query.agents = parsed.data.agents;
  if (parsed.data.models !== undefined) query.models = parsed.data.models;
  if (parsed.data.projectPath !== undefined) query.projectPath = parsed.data.projectPath;
  if (parsed.data.sessionId !== undefined) query.sessionId = parsed.data.sessionId;
  return query;
}

/**
 * Grouped usage sums, exact on every path. Reading on the store itself (not inside a caller's
 * transaction) first catches the rollups up when they are far behind, so the next read is fast
 * whoever wrote the records; a failed catch-up is logged and the read goes on (still exact).
 */
export async function readUsageGroups(target: QueryTarget, query: UsageQuery, grouping: UsageGrouping, logger?: Logger): Promise<UsageGroupRow[]> {
  if (target instanceof Database) {
    try {
      if ((await rollupBacklog(target)) > REFRESH_BACKLOG) await refreshUsageRollups(target);
    } catch (error) {
      logger?.warn({ error: errorMessage(error) }, 'storage: could not refresh the usage rollups; reading raw records instead');
    }
  }
  return storageCall('summing usage records', () => queryUsageGroups(knexOf(target), targetDialect(target), query, grouping));
}
