import type { Knex } from 'knex';
import type { CostRecord, Database } from '../../services/storage';
import { usageRecordFields } from '../../services/storage/repositories/cost-repository';
import { numberOf } from '../../services/storage/repositories/row-values';
import { storageCall } from '../../services/storage/repositories/storage-call';
import { USAGE_RECORD_READ_COLUMNS } from '../../services/storage/repositories/usage-columns';

/** Which stored usage records to walk; times are epoch ms, `[from, to)`, null = unbounded. */
export interface RecordScanQuery {
  from: number | null;
  to: number | null;
  agents?: readonly string[];
  /** Only records of sessions in this project. */
  projectPath?: string;
  /** Only records whose cost the agent reported (or only those calculated at ingest). */
  costSource?: 'reported' | 'calculated';
}

/** One stored usage record, as the reports that need single records (blocks, cost modes) read it. */
export type ScannedRecord = Omit<CostRecord, 'dedupKey' | 'flags'>;

const DEFAULT_BATCH = 20_000;


/** `usage_records as u` narrowed to the query (joined to `sessions as s` for a project). */
export function usageRecordsWhere(knex: Knex, query: RecordScanQuery): Knex.QueryBuilder {
  const builder = knex('usage_records as u');
  if (query.projectPath !== undefined) builder.join('sessions as s', 's.id', 'u.session_id').where('s.project_path', query.projectPath);
  if (query.from !== null) builder.where('u.recorded_at', '>=', query.from);
  if (query.to !== null) builder.where('u.recorded_at', '<', query.to);
  if (query.agents !== undefined) builder.whereIn('u.agent_type', [...query.agents]);
  if (query.costSource !== undefined) builder.where('u.cost_source', query.costSource);
  return builder;
}

/**
 * Walks the matching records oldest first (by `recordedAt`, then id) in batches of bounded
 * size, keyset-paged so a scan of millions of records neither holds them all nor re-reads.
 */
export async function scanUsageRecords(
  database: Database,
  query: RecordScanQuery,
  onBatch: (records: ScannedRecord[]) => void,
  batchSize = DEFAULT_BATCH,
): Promise<void> {
  let after: { recordedAt: number; id: number } | null = null;
  for (;;) {
    const cursor: { recordedAt: number; id: number } | null = after;
    const rows = await storageCall('reading usage records for a report', () => {
      const builder = usageRecordsWhere(database.knex, query).select(USAGE_RECORD_READ_COLUMNS);
      if (cursor !== null) {
        // A row-value comparison: both SQLite and PostgreSQL seek the (recorded_at) index with it.
        builder.whereRaw('(u.recorded_at, u.id) > (?, ?)', [cursor.recordedAt, cursor.id]);
      }
      return builder.orderBy([{ column: 'u.recorded_at' }, { column: 'u.id' }]).limit(batchSize) as Promise<Array<Record<string, unknown>>>;
    });
    if (rows.length === 0) return;
    const records = rows.map(usageRecordFields);
    onBatch(records);
    const last = records[records.length - 1] as ScannedRecord;
    after = { recordedAt: last.recordedAt, id: last.id };
    if (rows.length < batchSize) return;
  }
}

/** First and last `recordedAt` of the matching records, or null when there are none. */
export async function recordTimeBounds(database: Database, query: RecordScanQuery): Promise<{ first: number; last: number } | null> {
  const row = (await storageCall('finding the time span of usage records', () =>
    usageRecordsWhere(database.knex, query).min({ first: 'u.recorded_at' }).max({ last: 'u.recorded_at' }).first(),
  )) as Record<string, unknown> | undefined;
  if (row === undefined || row.first === null || row.first === undefined) return null;
  return { first: numberOf(row.first), last: numberOf(row.last) };
}
