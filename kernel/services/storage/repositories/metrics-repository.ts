import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, StorageError } from '../../../core/errors';
import type { Instant, PageOptions, SystemMetric, SystemMetricInput } from '../types';
import { instantSchema, jsonObjectSchema, validateInput } from './input-validation';
import { toEpochMs, toEpochRange } from './instant';
import { readJsonColumn } from './json-column';
import type { QueryTarget } from './query-target';
import type { Repository, RepositoryOptions } from './repository';
import { numberOf, numberOrNull } from './row-values';
import { storageCall } from './storage-call';
import { TableRepository } from './table-repository';

const TABLE = 'system_metrics';

const metricInputSchema = z.object({
  collectedAt: instantSchema.optional(),
  cpuPercent: z.number().finite().nonnegative().nullish(),
  memoryUsedBytes: z.number().int().nonnegative().nullish(),
  memoryTotalBytes: z.number().int().nonnegative().nullish(),
  activeSessions: z.number().int().nonnegative().nullish(),
  extra: jsonObjectSchema.optional(),
});

function toRow(input: SystemMetricInput, now: number): Record<string, string | number | null> {
  const metric = validateInput(metricInputSchema, input, 'system metric');
  return {
    collected_at: metric.collectedAt ?? now,
    cpu_percent: metric.cpuPercent ?? null,
    memory_used_bytes: metric.memoryUsedBytes ?? null,
    memory_total_bytes: metric.memoryTotalBytes ?? null,
    active_sessions: metric.activeSessions ?? null,
    extra: JSON.stringify(metric.extra ?? {}),
  };
}

function toMetric(row: Record<string, unknown>, logger: Logger | undefined): SystemMetric {
  const id = numberOf(row.id);
  return {
    id,
    collectedAt: numberOf(row.collected_at),
    cpuPercent: numberOrNull(row.cpu_percent),
    memoryUsedBytes: numberOrNull(row.memory_used_bytes),
    memoryTotalBytes: numberOrNull(row.memory_total_bytes),
    activeSessions: numberOrNull(row.active_sessions),
    extra: readJsonColumn(row.extra, jsonObjectSchema, {}, { table: TABLE, column: 'extra', id }, logger),
  };
}

/** Samples of the host's resource use. Listings are chronological (`collectedAt`, then id). */
export class MetricsRepository extends TableRepository<SystemMetric> implements Repository<SystemMetric, number, SystemMetricInput> {
  private readonly now: () => number;

  constructor(target: QueryTarget, options: RepositoryOptions & { now?: () => number } = {}) {
    super(target, TABLE, toMetric, options);
    this.now = options.now ?? Date.now;
  }

  async findById(id: number): Promise<SystemMetric | null> {
    return this.one(`reading metric ${id}`, (query) => query.where({ id }));
  }

  async findAll(options?: PageOptions): Promise<SystemMetric[]> {
    return this.findRange({}, options);
  }

  /** Samples collected in `[from, to)`. */
  async findInRange(from: Instant, to: Instant, options?: PageOptions): Promise<SystemMetric[]> {
    return this.findRange({ from, to }, options);
  }

  /** The most recent sample, or `null` when there is none. */
  async latest(): Promise<SystemMetric | null> {
    return this.one('reading the latest metric', (query) => query.orderBy([{ column: 'collected_at', order: 'desc' }, { column: 'id', order: 'desc' }]));
  }

  /** The newest `limit` samples (collected at or after `from`, when given), newest first. */
  async findRecent(limit: number, from?: Instant): Promise<SystemMetric[]> {
    const since = from === undefined ? null : toEpochMs(from, 'from');
    return this.many(
      'listing recent metrics',
      (query) => {
        if (since !== null) query.where('collected_at', '>=', since);
        return query.orderBy([{ column: 'collected_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
      },
      { limit },
    );
  }

  /** Records one sample (a metric is never replaced: `save` is `record`). @throws StorageError E1008 */
  async record(metric: SystemMetricInput): Promise<SystemMetric> {
    const row = toRow(metric, this.now());
    const inserted = await storageCall('recording a metric', () => this.knex(TABLE).insert(row).returning('id'));
    const first: unknown = inserted[0];
    const id = numberOf(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
    return toMetric({ id, ...row }, this.logger);
  }

  async save(metric: SystemMetricInput): Promise<SystemMetric> {
    return this.record(metric);
  }

  async delete(id: number): Promise<boolean> {
    return this.deleteWhere(`deleting metric ${id}`, { id });
  }

  /**
   * Deletes samples older than `retentionMs` before `now`; returns how many.
   * @throws StorageError E1009 for a negative retention.
   */
  async deleteOlderThan(retentionMs: number, now: Instant = this.now()): Promise<number> {
    if (!Number.isFinite(retentionMs) || retentionMs < 0) {
      throw new StorageError(ErrorCodes.DB_INVALID_QUERY, `retention must be a non-negative number of milliseconds, got ${String(retentionMs)}`);
    }
    const cutoff = toEpochMs(now, 'now') - retentionMs;
    return storageCall('deleting old metrics', () => this.knex(TABLE).where('collected_at', '<', cutoff).delete());
  }

  private async findRange(range: { from?: Instant; to?: Instant }, options: PageOptions | undefined): Promise<SystemMetric[]> {
    const { from, to } = toEpochRange(range);
    return this.many(
      'listing metrics',
      (query) => {
        if (from !== null) query.where('collected_at', '>=', from);
        if (to !== null) query.andWhere('collected_at', '<', to);
        return query.orderBy([{ column: 'collected_at' }, { column: 'id' }]);
      },
      options,
    );
  }
}
