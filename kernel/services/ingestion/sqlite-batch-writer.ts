import { Worker } from 'node:worker_threads';
import { ErrorCodes, StorageError } from '../../core/errors';
import { SQLITE_UPSERT_SQL, sqliteUpsertRows, type UpsertUsageResult, type UsageConflictPolicy, type UsageRecordInput } from '../storage/bulk';
import type { Database } from '../storage/database';
import { SQLITE_PRAGMAS } from '../storage/database/database';
import { toStorageError } from '../storage/database/to-storage-error';
import { ACTIVE_SESSION_WINDOW_MS } from '../storage/repositories/session-repository';
import type { SessionStatus } from '../storage/types';
import { combineSessionDeltas, type BatchResult, type BatchWrite, type ChunkWrite, type SourceChain } from './chunk-writer';
import { cursorWrite, SQLITE_CURSOR_SQL, type IngestCursor } from './ingest-cursor-repository';
import { SESSION_COLUMNS, sessionRows, SQLITE_SESSION_UPSERT, type MergedSession } from './session-merge';

/**
 * The worker's code, evaluated (not loaded from a file, so it runs the same from `dist/`, from
 * the TypeScript sources under jest and from a bundle): its own better-sqlite3 connection to the
 * store, and one transaction per message — every cursor compare-and-set first (any that fails
 * rolls the whole message back and is reported, so the host can leave those chunks out and send
 * the rest again), then the records, the sessions and, when asked, the costs before and after.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Driver = require(workerData.driver);
const db = new Driver(workerData.filename);
for (const pragma of workerData.pragmas) db.pragma(pragma);
const sql = workerData.sql;
const insertCursor = db.prepare(sql.insertCursor);
const updateCursor = db.prepare(sql.updateCursor);
const insertRecord = db.prepare(sql.insertRecord);
const updateRecord = db.prepare(sql.updateRecordIfLarger);
const sessionStatus = db.prepare('select status from sessions where id = ?');
const upsertSession = db.prepare(sql.upsertSession);
const sessionAfter = db.prepare('select id, agent_type, external_id, project_path, started_at, status from sessions where id = ?');
const costOf = db.prepare('select cost_usd from usage_records where dedup_key = ?');

function costs(keys) {
  const found = new Map();
  for (const key of keys) {
    const row = costOf.get(key);
    if (row !== undefined) found.set(key, Number(row.cost_usd));
  }
  return found;
}

const write = db.transaction((batch) => {
  const failed = [];
  batch.cursors.forEach((cursor, index) => {
    const changes = cursor.expected === null ? insertCursor.run(cursor.values).changes : updateCursor.run(cursor.values.concat(cursor.expected)).changes;
    if (changes !== 1) failed.push(index);
  });
  if (failed.length > 0) throw { casFailed: failed };
  const before = batch.measure ? costs(batch.keys) : null;
  let inserted = 0;
  let updated = 0;
  for (const group of batch.records) {
    group.values.forEach((values, index) => {
      if (insertRecord.run(values).changes === 1) inserted++;
      else if (group.keepLarger) updated += updateRecord.run(values.slice(1).concat([values[0], group.totals[index]])).changes;
    });
  }
  const costChanges = [];
  if (before !== null && inserted + updated > 0) {
    const after = costs(batch.keys);
    for (const key of batch.keys) {
      const was = before.get(key);
      const now = after.get(key) ?? 0;
      if (was === undefined || now !== was) costChanges.push([key, now - (was ?? 0)]);
    }
  }
  const sessions = [];
  for (const values of batch.sessions) {
    const previous = sessionStatus.get(values[0]);
    upsertSession.run(values.concat([batch.activeSince]));
    const row = sessionAfter.get(values[0]);
    if (row !== undefined) sessions.push([row.id, row.agent_type, row.external_id, row.project_path, Number(row.started_at), row.status, previous === undefined ? null : previous.status]);
  }
  return { inserted, updated, sessions, costChanges };
});

parentPort.on('message', (message) => {
  try {
    parentPort.postMessage({ id: message.id, ok: write.immediate(message.batch) });
  } catch (error) {
    if (error !== null && typeof error === 'object' && Array.isArray(error.casFailed)) {
      parentPort.postMessage({ id: message.id, casFailed: error.casFailed });
    } else {
      parentPort.postMessage({ id: message.id, error: { message: String(error && error.message !== undefined ? error.message : error), code: error && error.code } });
    }
  }
});
`;

interface WorkerBatch {
  cursors: Array<{ values: Array<string | number | null>; expected: [string, number, number] | null }>;
  records: Array<{ keepLarger: boolean; values: Array<Array<string | number | null>>; totals: number[] }>;
  sessions: Array<Array<string | number | null>>;
  activeSince: number;
  measure: boolean;
  keys: string[];
}

interface WorkerOk {
  inserted: number;
  updated: number;
  sessions: Array<[string, string, string, string | null, number, string, string | null]>;
  costChanges: Array<[string, number]>;
}

type WorkerReply = { id: number; ok: WorkerOk } | { id: number; casFailed: number[] } | { id: number; error: { message: string; code?: unknown } };

/**
 * Writes batches of chunks to a SQLite store from a worker thread: the same transaction as
 * {@link writeChunks} (cursors compare-and-set, records, sessions, all or nothing), on the
 * worker's own connection, so the host's thread goes on reading, handing chunks to the adapters
 * and pricing while SQLite inserts (~7 µs a record with this schema: 0.7 s for 100k records).
 * Used for large batches only; a worker costs a thread start.
 */
export class SqliteBatchWriter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: unknown) => void }>();

  private constructor(private readonly filename: string) {}

  /** A writer for `database`, or `null` when it is not a SQLite file. */
  static forDatabase(database: Database): SqliteBatchWriter | null {
    if (database.dialect !== 'sqlite' || database.location === ':memory:' || database.location === '') return null;
    return new SqliteBatchWriter(database.location);
  }

  /**
   * Writes the batch; chunks whose cursor another writer moved are left out (`null` cursors),
   * with the rest of their source's chunks, and the others written without them.
   */
  async write(batch: BatchWrite): Promise<BatchResult> {
    const cursors: Array<IngestCursor | null> = batch.chunks.map(() => null);
    const excluded = new Set<number>();
    for (;;) {
      const prepared = this.prepare(batch, excluded);
      const reply = await this.send(prepared.message);
      if ('casFailed' in reply) {
        for (const failed of reply.casFailed) excluded.add(prepared.indexes[failed] as number);
        continue;
      }
      if ('error' in reply) {
        const cause = Object.assign(new Error(reply.error.message), typeof reply.error.code === 'string' ? { code: reply.error.code } : {});
        throw toStorageError(cause, { operation: `writing ${batch.chunks.length} ingested chunks to ${this.filename}` });
      }
      prepared.indexes.forEach((index, position) => {
        cursors[index] = prepared.cursors[position] as IngestCursor;
      });
      const upsert: UpsertUsageResult = { inserted: reply.ok.inserted, updated: reply.ok.updated, unchanged: prepared.recordCount - reply.ok.inserted - reply.ok.updated };
      const sessions: MergedSession[] = reply.ok.sessions.map(([id, agentType, externalId, projectPath, startedAt, status, previousStatus]) => ({
        id,
        agentType,
        externalId,
        projectPath,
        startedAt,
        status: status as SessionStatus,
        previousStatus: previousStatus as SessionStatus | null,
      }));
      return { cursors, upsert, sessions, costChanges: new Map(reply.ok.costChanges) };
    }
  }

  /** Stops the worker (a later write starts another). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
  }

  /** The message for the chunks not excluded, with the chains moved as they would be. */
  private prepare(batch: BatchWrite, excluded: ReadonlySet<number>): { message: WorkerBatch; indexes: number[]; cursors: IngestCursor[]; recordCount: number } {
    const moved = new Map<SourceChain, IngestCursor | null>();
    const indexes: number[] = [];
    const cursors: IngestCursor[] = [];
    const message: WorkerBatch = { cursors: [], records: [], sessions: [], activeSince: batch.now - ACTIVE_SESSION_WINDOW_MS, measure: batch.measureCostChanges, keys: [] };
    const written: ChunkWrite[] = [];
    batch.chunks.forEach((chunk, index) => {
      const { chain } = chunk;
      const expected = moved.has(chain) ? (moved.get(chain) as IngestCursor | null) : chain.cursor;
      if (excluded.has(index) || chain.stopped !== null || (moved.has(chain) && expected === null)) {
        moved.set(chain, null);
        return;
      }
      const write = cursorWrite(expected, chunk.next);
      moved.set(chain, write.cursor);
      message.cursors.push({ values: write.values, expected: write.expected });
      indexes.push(index);
      cursors.push(write.cursor);
      written.push(chunk);
    });
    const byConflict = new Map<UsageConflictPolicy, UsageRecordInput[]>();
    let recordCount = 0;
    for (const chunk of written) {
      recordCount += chunk.records.length;
      const list = byConflict.get(chunk.conflict);
      if (list === undefined) byConflict.set(chunk.conflict, chunk.records.slice());
      else for (const record of chunk.records) list.push(record);
    }
    for (const [conflict, records] of byConflict) {
      if (records.length === 0) continue;
      const rows = sqliteUpsertRows(records, conflict);
      message.records.push({ keepLarger: conflict === 'keep-larger', values: rows.values, totals: rows.totals });
      if (batch.measureCostChanges) for (const values of rows.values) message.keys.push(values[0] as string);
    }
    message.keys = [...new Set(message.keys)];
    message.sessions = sessionRows(combineSessionDeltas(written), batch.now, batch.now).map((row) => SESSION_COLUMNS.map((column) => row[column]));
    return { message, indexes, cursors, recordCount };
  }

  private send(batch: WorkerBatch): Promise<WorkerReply> {
    const worker = this.start();
    const id = this.nextId++;
    // Referenced while a write is in flight: the process must not exit under it.
    if (this.waiting.size === 0) worker.ref();
    return new Promise<WorkerReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        filename: this.filename,
        pragmas: SQLITE_PRAGMAS,
        sql: {
          insertCursor: SQLITE_CURSOR_SQL.insert,
          updateCursor: SQLITE_CURSOR_SQL.update,
          insertRecord: SQLITE_UPSERT_SQL.insert,
          updateRecordIfLarger: SQLITE_UPSERT_SQL.updateIfLarger,
          upsertSession: SQLITE_SESSION_UPSERT,
        },
      },
    });
    const failAll = (error: unknown): void => {
      if (this.worker === worker) this.worker = null;
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const entry of waiting) entry.reject(error);
    };
    worker.on('message', (reply: WorkerReply) => {
      const entry = this.waiting.get(reply.id);
      if (entry === undefined) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      entry.resolve(reply);
    });
    worker.on('error', (error) => failAll(toStorageError(error, { operation: `writing ingested chunks to ${this.filename}` })));
    worker.on('exit', (code) => {
      if (this.waiting.size > 0) failAll(new StorageError(ErrorCodes.DB_CONNECTION, `the SQLite writer thread stopped (exit code ${code}) with writes in flight`));
      else if (this.worker === worker) this.worker = null;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
