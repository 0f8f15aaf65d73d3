import type { Knex } from 'knex';
import type { Database } from '../storage/database';
import { upsertUsageRecords, type UpsertUsageResult, type UsageConflictPolicy, type UsageRecordInput } from '../storage/bulk';
import { numberOf } from '../storage/repositories/row-values';
import { IngestCursorRepository, type IngestCursor, type IngestCursorInput } from './ingest-cursor-repository';
import { mergeSessions, type MergedSession, type SessionDelta } from './session-merge';

/**
 * Where one pass over a source stands in the writer: the cursor its next chunk's write expects
 * (compare-and-set), or why its later chunks are not written. Chunks of one source are written
 * in order, so the chain moves with each committed chunk.
 */
export interface SourceChain {
  /** The cursor stored for the source as of the last committed chunk (`null`: none yet). */
  cursor: IngestCursor | null;
  /** Set once a chunk was superseded (another ingest moved the cursor) or failed: nothing more of the pass is written. */
  stopped: 'superseded' | 'failed' | null;
}

/** Everything one chunk of one source writes: its records and sessions, and its cursor. */
export interface ChunkWrite {
  chain: SourceChain;
  next: IngestCursorInput;
  records: UsageRecordInput[];
  conflict: UsageConflictPolicy;
  sessions: SessionDelta[];
  /** Start time for sessions the chunk gives no time for. */
  fallbackTime: number;
}

/** Several chunks (of one source or of several) written in one transaction. */
export interface BatchWrite {
  chunks: readonly ChunkWrite[];
  now: number;
  /** Measure what each record's cost changed by (only worth it when someone listens to CostRecorded). */
  measureCostChanges: boolean;
}

export interface BatchResult {
  /**
   * Per chunk, in order: the cursor written, or `null` when nothing of the chunk was written
   * (another writer had moved the cursor, or an earlier chunk of its source was not written).
   * The chains are not touched: the caller moves them once the transaction committed.
   */
  cursors: Array<IngestCursor | null>;
  /** The records of the chunks that were written, counted together. */
  upsert: UpsertUsageResult;
  sessions: MergedSession[];
  /** By dedup key: cost added by this batch (new records, or keep-larger replacements). Empty unless measured. */
  costChanges: Map<string, number>;
}

const KEYS_PER_QUERY = 500;

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

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function latest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * The session deltas of several chunks as one delta per session, merged the way
 * {@link mergeSessions} merges them into a stored row one chunk after another: each chunk's
 * missing times resolved with its own fallback first, then the earliest start, the latest end
 * and activity, and a later chunk's project path, title and (non-empty) metadata over an
 * earlier one's.
 */
export function combineSessionDeltas(chunks: readonly Pick<ChunkWrite, 'sessions' | 'fallbackTime'>[]): SessionDelta[] {
  const byId = new Map<string, SessionDelta>();
  for (const chunk of chunks) {
    for (const delta of chunk.sessions) {
      const startedAt = delta.startedAt ?? delta.endedAt ?? delta.lastActivityAt ?? chunk.fallbackTime;
      const lastActivityAt = delta.lastActivityAt ?? startedAt;
      const known = byId.get(delta.id);
      if (known === undefined) {
        byId.set(delta.id, { ...delta, startedAt, lastActivityAt });
        continue;
      }
      known.startedAt = earliest(known.startedAt, startedAt);
      known.endedAt = latest(known.endedAt, delta.endedAt);
      known.lastActivityAt = latest(known.lastActivityAt, lastActivityAt);
      known.projectPath = delta.projectPath ?? known.projectPath;
      known.title = delta.title ?? known.title;
      if (delta.metadata !== null && Object.keys(delta.metadata).length > 0) known.metadata = delta.metadata;
    }
  }
  return [...byId.values()];
}

/**
 * Writes chunks in ONE transaction: each chunk's cursor first (compare-and-set against its
 * source's chain, so a chunk read from a position another ingest already passed is skipped, its
 * records and sessions unwritten), then the records and sessions of the chunks whose cursor
 * moved. Killed at any point, the store holds either all of the batch or none of it, and the
 * next run starts from cursors that match the records.
 */
export async function writeChunks(db: Database, batch: BatchWrite): Promise<BatchResult> {
  return db.transaction(async (trx) => {
    const compareAndSet = await new IngestCursorRepository(trx).preparedCompareAndSet();
    const cursors: Array<IngestCursor | null> = [];
    const written: ChunkWrite[] = [];
    // Where each chain would stand if this transaction commits.
    const moved = new Map<SourceChain, IngestCursor | null>();
    for (const chunk of batch.chunks) {
      const { chain } = chunk;
      const expected = moved.has(chain) ? (moved.get(chain) as IngestCursor | null) : chain.cursor;
      const blocked = chain.stopped !== null || (moved.has(chain) && expected === null);
      const cursor = blocked ? null : await compareAndSet(expected, chunk.next);
      moved.set(chain, cursor);
      cursors.push(cursor);
      if (cursor !== null) written.push(chunk);
    }
    // One upsert per conflict policy, in chunk order: the same rows as one upsert per chunk.
    const byConflict = new Map<UsageConflictPolicy, UsageRecordInput[]>();
    for (const chunk of written) {
      if (chunk.records.length === 0) continue;
      const list = byConflict.get(chunk.conflict);
      if (list === undefined) byConflict.set(chunk.conflict, chunk.records.slice());
      else for (const record of chunk.records) list.push(record);
    }
    const keys = batch.measureCostChanges ? [...new Set([...byConflict.values()].flatMap((records) => records.map((record) => record.dedupKey)))] : [];
    const before = batch.measureCostChanges ? await costsOf(trx, keys) : new Map<string, number>();
    const upsert: UpsertUsageResult = { inserted: 0, updated: 0, unchanged: 0 };
    for (const [conflict, records] of byConflict) {
      const result = await upsertUsageRecords(trx, records, { conflict });
      upsert.inserted += result.inserted;
      upsert.updated += result.updated;
      upsert.unchanged += result.unchanged;
    }
    const costChanges = new Map<string, number>();
    if (batch.measureCostChanges && upsert.inserted + upsert.updated > 0) {
      const after = await costsOf(trx, keys);
      for (const key of keys) {
        const was = before.get(key);
        const now = after.get(key) ?? 0;
        if (was === undefined || now !== was) costChanges.set(key, now - (was ?? 0));
      }
    }
    const sessions = await mergeSessions(trx, combineSessionDeltas(written), batch.now, batch.now);
    return { cursors, upsert, sessions, costChanges };
  });
}
