import { z } from 'zod';
import type { Knex } from 'knex';
import { readJsonColumn } from '../storage/repositories/json-column';
import { knexOf, type QueryTarget } from '../storage/repositories/query-target';
import { numberOf, numberOrNull, stringOrNull } from '../storage/repositories/row-values';
import { storageCall } from '../storage/repositories/storage-call';
import type { RejectedModel } from '../../../sdk/src/kinds/sync';

const TABLE = 'sync_runs';

export const SYNC_STATUSES = ['ok', 'partial', 'failed', 'skipped', 'rate-limited', 'disabled'] as const;
/**
 * - `ok`: fetched and merged; `partial`: fetched and merged, some entries rejected;
 * - `failed`: nothing merged (the last good data stays); `rate-limited`: the provider said to
 *   wait longer than a retry may (see `retryAfterAt`); `skipped`: could not be asked (no key,
 *   plugin not running); `disabled`: `sync.providers.<name>.enabled: false`.
 */
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export type SyncTrigger = 'manual' | 'schedule';

/** One provider's part of one sync run, as stored. */
export interface SyncRunRecord {
  id: number;
  provider: string;
  plugin: string;
  trigger: SyncTrigger;
  startedAt: number;
  finishedAt: number;
  status: SyncStatus;
  attempts: number;
  modelsFetched: number;
  modelsWritten: number;
  modelsRejected: number;
  repricedRecords: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** Do not ask this provider again before this instant (epoch ms). */
  retryAfterAt: number | null;
  details: { rejected?: RejectedModel[]; reason?: string };
}

export type SyncRunInput = Omit<SyncRunRecord, 'id'>;

const detailsSchema = z.object({
  rejected: z.array(z.object({ model: z.string(), reason: z.string() })).optional(),
  reason: z.string().optional(),
});

function toRecord(row: Record<string, unknown>): SyncRunRecord {
  const id = numberOf(row.id);
  const status = String(row.status);
  return {
    id,
    provider: String(row.provider),
    plugin: String(row.plugin),
    trigger: row.trigger === 'schedule' ? 'schedule' : 'manual',
    startedAt: numberOf(row.started_at),
    finishedAt: numberOf(row.finished_at),
    status: (SYNC_STATUSES as readonly string[]).includes(status) ? (status as SyncStatus) : 'failed',
    attempts: numberOf(row.attempts),
    modelsFetched: numberOf(row.models_fetched),
    modelsWritten: numberOf(row.models_written),
    modelsRejected: numberOf(row.models_rejected),
    repricedRecords: numberOf(row.repriced_records),
    errorCode: stringOrNull(row.error_code),
    errorMessage: stringOrNull(row.error_message),
    retryAfterAt: numberOrNull(row.retry_after_at),
    details: readJsonColumn(row.details, detailsSchema, {}, { table: TABLE, column: 'details', id }),
  };
}

function toRow(run: SyncRunInput): Record<string, unknown> {
  return {
    provider: run.provider,
    plugin: run.plugin,
    trigger: run.trigger,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    status: run.status,
    attempts: run.attempts,
    models_fetched: run.modelsFetched,
    models_written: run.modelsWritten,
    models_rejected: run.modelsRejected,
    repriced_records: run.repricedRecords,
    error_code: run.errorCode,
    error_message: run.errorMessage === null ? null : run.errorMessage.slice(0, 4_000),
    retry_after_at: run.retryAfterAt,
    details: JSON.stringify(run.details),
  };
}

/** The history of pricing syncs (`sync_runs`, migration 0004): one row per provider per run. */
export class SyncRunRepository {
  private readonly knex: Knex;

  constructor(target: QueryTarget) {
    this.knex = knexOf(target);
  }

  /** Appends this run's rows, all or none. */
  async record(runs: readonly SyncRunInput[]): Promise<void> {
    if (runs.length === 0) return;
    await storageCall(`recording ${runs.length} sync results`, () => this.knex(TABLE).insert(runs.map(toRow)));
  }

  /** Newest first; `provider` narrows to one provider. */
  async history(options: { provider?: string; limit?: number } = {}): Promise<SyncRunRecord[]> {
    const rows = await storageCall('reading the sync history', () => {
      const query = this.knex(TABLE).select('*');
      if (options.provider !== undefined) query.where({ provider: options.provider });
      return query.orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(options.limit ?? 50);
    });
    return (rows as Array<Record<string, unknown>>).map(toRecord);
  }

  /** Each provider's newest run, and its newest run that merged models (`ok` or `partial`). */
  async latest(): Promise<Map<string, { last: SyncRunRecord; lastGood: SyncRunRecord | null }>> {
    const newest = (statuses?: readonly string[]) =>
      storageCall('reading the sync status', async () => {
        const ids = this.knex(TABLE).max('id as id').groupBy('provider');
        if (statuses) ids.whereIn('status', statuses);
        return (await this.knex(TABLE).select('*').whereIn('id', ids)) as Array<Record<string, unknown>>;
      });
    const [last, good] = await Promise.all([newest(), newest(['ok', 'partial'])]);
    const goodByProvider = new Map(good.map(toRecord).map((run) => [run.provider, run]));
    return new Map(last.map(toRecord).map((run) => [run.provider, { last: run, lastGood: goodByProvider.get(run.provider) ?? null }]));
  }
}
