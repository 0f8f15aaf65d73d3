import type { Logger } from 'pino';
import { errorMessage } from '../../../core/errors';
import { readUsageGroups, toUsageQuery } from '../aggregators/usage-reader';
import { refreshUsageRollups } from '../aggregators/usage-rollups';
import { byCostThenName, toUsageTotals } from '../aggregators/usage-totals';
import { upsertUsageRecords, type UpsertUsageOptions, type UpsertUsageResult } from '../bulk/upsert-usage-records';
import { toUsageRows, type UsageRecordInput } from '../bulk/usage-record-input';
import type { CostFilter, CostRecord, Instant, ModelUsage, PageOptions, TimeRange } from '../types';
import { toEpochMs, toEpochRange } from './instant';
import { stringListSchema } from './input-validation';
import { readJsonColumn } from './json-column';
import type { QueryTarget } from './query-target';
import type { Repository, RepositoryOptions } from './repository';
import { numberOf, stringOrNull } from './row-values';
import { storageCall } from './storage-call';
import { TableRepository } from './table-repository';

const TABLE = 'usage_records';

/**
 * A stored usage record's fields but its dedup key and flags, from a row: what the reports that
 * read records one by one need (see `USAGE_RECORD_READ_COLUMNS`).
 */
export function usageRecordFields(row: Record<string, unknown>): Omit<CostRecord, 'dedupKey' | 'flags'> {
  return {
    id: numberOf(row.id),
    sessionId: String(row.session_id),
    agentType: String(row.agent_type),
    model: String(row.model),
    provider: stringOrNull(row.provider),
    inputTokens: numberOf(row.input_tokens),
    outputTokens: numberOf(row.output_tokens),
    cacheWriteTokens: numberOf(row.cache_write_tokens),
    cacheWrite1hTokens: numberOf(row.cache_write_1h_tokens),
    cacheReadTokens: numberOf(row.cache_read_tokens),
    reasoningTokens: numberOf(row.reasoning_tokens),
    costUsd: numberOf(row.cost_usd),
    costSource: row.cost_source === 'reported' ? 'reported' : 'calculated',
    recordedAt: numberOf(row.recorded_at),
  };
}

function toCostRecord(row: Record<string, unknown>, logger: Logger | undefined): CostRecord {
  const fields = usageRecordFields(row);
  return {
    ...fields,
    dedupKey: String(row.dedup_key),
    flags: readJsonColumn(row.flags, stringListSchema, [], { table: TABLE, column: 'flags', id: fields.id }, logger),
  };
}

/** Listing options of usage records: paging and a `[from, to)` range on `recordedAt`. */
export type CostListOptions = PageOptions & TimeRange;

/**
 * Usage records and their costs (`usage_records`), keyed by id and unique on `dedupKey`.
 * Listings are chronological (`recordedAt`, then id). Sums go through the quarter-hour rollups.
 */
export class CostRepository extends TableRepository<CostRecord> implements Repository<CostRecord, number, UsageRecordInput> {
  constructor(target: QueryTarget, options: RepositoryOptions = {}) {
    super(target, TABLE, toCostRecord, options);
  }

  async findById(id: number): Promise<CostRecord | null> {
    return this.one(`reading usage record ${id}`, (query) => query.where({ id }));
  }

  async findByDedupKey(dedupKey: string): Promise<CostRecord | null> {
    return this.one(`reading usage record ${dedupKey}`, (query) => query.where({ dedup_key: dedupKey }));
  }

  async findAll(options?: CostListOptions): Promise<CostRecord[]> {
    return this.list('listing usage records', {}, options);
  }

  async findBySession(sessionId: string, options?: CostListOptions): Promise<CostRecord[]> {
    return this.list(`listing usage records of session ${sessionId}`, { session_id: sessionId }, options);
  }

  /** Records of one agent type (`claude-code`, `codex`, …). */
  async findByAgent(agentType: string, options?: CostListOptions): Promise<CostRecord[]> {
    return this.list(`listing usage records of agent ${agentType}`, { agent_type: agentType }, options);
  }

  async findByModel(model: string, options?: CostListOptions): Promise<CostRecord[]> {
    return this.list(`listing usage records of model ${model}`, { model }, options);
  }

  /**
   * Stores one record, replacing the stored one with the same `dedupKey` (a correction).
   * Ingest uses `saveMany`, which never lets a re-ingest change anything.
   * @throws StorageError E1008 for an invalid record.
   */
  async save(record: UsageRecordInput): Promise<CostRecord> {
    const [row] = toUsageRows([record]);
    if (row === undefined) throw new TypeError('toUsageRows returned nothing');
    const columns = {
      dedup_key: row.dedupKey,
      session_id: row.sessionId,
      agent_type: row.agentType,
      model: row.model,
      provider: row.provider,
      input_tokens: row.inputTokens,
      output_tokens: row.outputTokens,
      cache_write_tokens: row.cacheWriteTokens,
      cache_write_1h_tokens: row.cacheWrite1hTokens,
      cache_read_tokens: row.cacheReadTokens,
      reasoning_tokens: row.reasoningTokens,
      cost_usd: row.costUsd,
      cost_source: row.costSource,
      recorded_at: row.recordedAt,
      flags: row.flags,
    };
    await storageCall(`saving usage record ${row.dedupKey}`, () => this.knex(TABLE).insert(columns).onConflict('dedup_key').merge());
    const stored = await this.findByDedupKey(row.dedupKey);
    if (stored === null) throw new TypeError(`usage record ${row.dedupKey} vanished right after it was saved`);
    return stored;
  }

  /**
   * The bulk path (`upsertUsageRecords`): idempotent on `dedupKey`, all or nothing. Then folds
   * the new records into the rollups; a failure there is logged, not thrown (the records are
   * stored, and sums stay exact without the rollups).
   */
  async saveMany(records: readonly UsageRecordInput[], options: UpsertUsageOptions = {}): Promise<UpsertUsageResult> {
    const result = await upsertUsageRecords(this.target, records, options);
    if (result.inserted + result.updated > 0) {
      try {
        await refreshUsageRollups(this.target);
      } catch (error) {
        this.logger?.warn({ error: errorMessage(error) }, 'storage: usage records saved, but the rollups could not be refreshed');
      }
    }
    return result;
  }

  async delete(id: number): Promise<boolean> {
    return this.deleteWhere(`deleting usage record ${id}`, { id });
  }

  /** Total cost in USD of the records since `since` (inclusive) that match `filter`. */
  async sumCostsSince(since: Instant, filter: Omit<CostFilter, 'from' | 'to'> = {}): Promise<number> {
    const query = toUsageQuery({ ...filter, from: toEpochMs(since, 'since') });
    const [sums] = await readUsageGroups(this.target, query, {}, this.logger);
    return sums === undefined ? 0 : toUsageTotals(sums).costUsd;
  }

  /** Totals per model over `range`, most expensive first. */
  async aggregateByModel(range: TimeRange = {}): Promise<ModelUsage[]> {
    const rows = await readUsageGroups(this.target, toUsageQuery(range), { model: true }, this.logger);
    return rows.map((row) => ({ model: row.model ?? '', ...toUsageTotals(row) })).sort(byCostThenName((item) => item.model));
  }

  private async list(operation: string, where: Record<string, string>, options: CostListOptions | undefined): Promise<CostRecord[]> {
    const { from, to } = toEpochRange(options);
    return this.many(
      operation,
      (query) => {
        query.where(where);
        if (from !== null) query.andWhere('recorded_at', '>=', from);
        if (to !== null) query.andWhere('recorded_at', '<', to);
        return query.orderBy([{ column: 'recorded_at' }, { column: 'id' }]);
      },
      options,
    );
  }
}
