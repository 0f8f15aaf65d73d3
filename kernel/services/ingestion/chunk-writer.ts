import type { Knex } from 'knex';
import type { Database } from '../storage/database';
import { upsertUsageRecords, type UpsertUsageResult, type UsageConflictPolicy, type UsageRecordInput } from '../storage/bulk';
import { numberOf } from '../storage/repositories/row-values';
import { IngestCursorRepository, type IngestCursor, type IngestCursorInput } from './ingest-cursor-repository';
import { mergeSessions, type MergedSession, type SessionDelta } from './session-merge';

/** Everything one chunk of one source writes, committed together. */
export interface ChunkWrite {
  /** The cursor as read before the chunk (`null`: none yet); the write only happens if it is still that. */
  expected: IngestCursor | null;
  next: IngestCursorInput;
  records: UsageRecordInput[];
  conflict: UsageConflictPolicy;
  sessions: SessionDelta[];
  now: number;
  /** Start time for sessions the chunk gives no time for. */
  fallbackTime: number;
  /** Measure what each record's cost changed by (only worth it when someone listens to CostRecorded). */
  measureCostChanges: boolean;
}

export interface ChunkResult {
  cursor: IngestCursor;
  upsert: UpsertUsageResult;
  sessions: MergedSession[];
  /** By dedup key: cost added by this chunk (new records, or keep-larger replacements). Empty unless measured. */
  costChanges: Map<string, number>;
}

const KEYS_PER_QUERY = 500;

/** Thrown inside the transaction to roll it back when another writer moved the cursor. */
class CursorMoved extends Error {
  constructor() {
    super('another ingest moved the cursor first');
  }
}

// The store wraps what a transaction throws in a StorageError; the marker is its cause.
function causedByCursorMoved(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof CursorMoved) return true;
  }
  return false;
}

async function costsOf(trx: Knex.Transaction, keys: readonly string[]): Promise<Map<string, number>> {
  const costs = new Map<string, number>();
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    const rows = (await trx('usage_records')
      .select('dedup_key', 'cost_usd')
      .whereIn('dedup_key', keys.slice(start, start + KEYS_PER_QUERY))) as Array<Record<string, unknown>>;
    for (const row of rows) costs.set(String(row.dedup_key), numberOf(row.cost_usd));
  }
  return costs;
}

/**
 * Writes one chunk in ONE transaction: the cursor first (compare-and-set, so a chunk read
 * from a position another ingest already passed is rolled back whole), then the records, then
 * the sessions. Killed at any point, the store holds either all of it or none of it, and the
 * next run starts from the cursor that matches the records. Resolves to `null` when another
 * writer got there first (nothing written).
 */
export async function writeChunk(db: Database, chunk: ChunkWrite): Promise<ChunkResult | null> {
  try {
    return await db.transaction(async (trx) => {
      const cursor = await new IngestCursorRepository(trx).compareAndSet(chunk.expected, chunk.next);
      if (cursor === null) throw new CursorMoved();
      const keys = chunk.measureCostChanges ? [...new Set(chunk.records.map((record) => record.dedupKey))] : [];
      const before = chunk.measureCostChanges ? await costsOf(trx, keys) : new Map<string, number>();
      const upsert = await upsertUsageRecords(trx, chunk.records, { conflict: chunk.conflict });
      const costChanges = new Map<string, number>();
      if (chunk.measureCostChanges && upsert.inserted + upsert.updated > 0) {
        const after = await costsOf(trx, keys);
        for (const key of keys) {
          const was = before.get(key);
          const now = after.get(key) ?? 0;
          if (was === undefined || now !== was) costChanges.set(key, now - (was ?? 0));
        }
      }
      const sessions = await mergeSessions(trx, chunk.sessions, chunk.now, chunk.fallbackTime);
      return { cursor, upsert, sessions, costChanges };
    });
  } catch (error) {
    if (causedByCursorMoved(error)) return null;
    throw error;
  }
}
