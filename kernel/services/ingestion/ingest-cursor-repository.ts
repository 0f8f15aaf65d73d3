import type { Logger } from 'pino';
import { z } from 'zod';
import { numberOf, stringOrNull } from '../storage/repositories/row-values';
import type { QueryTarget } from '../storage/repositories/query-target';
import type { Repository, RepositoryOptions } from '../storage/repositories/repository';
import { storageCall } from '../storage/repositories/storage-call';
import { targetDialect } from '../storage/repositories/query-target';
import { rawConnectionOf } from '../storage/database/raw-connection';
import type { Knex } from 'knex';
import { TableRepository } from '../storage/repositories/table-repository';
import type { PageOptions } from '../storage/types';
import { validateInput } from '../storage/repositories/input-validation';

const TABLE = 'ingest_cursors';

/** The bytes just before a jsonl cursor's offset, hashed: a file rewritten in place under the same inode no longer matches. */
export interface TailFingerprint {
  bytes: number;
  sha256: string;
}

/**
 * Where the ingestion of one source stands. For a jsonl source `offset` is the byte just after
 * the last complete line handed to the adapter; `size`, `mtimeMs` and `inode` are the file as
 * it was stat'ed when that read began.
 */
export interface IngestCursor {
  /** The adapter's source id (usually the absolute path). */
  sourceId: string;
  /** The plugin that owns the source. */
  plugin: string;
  inode: string | null;
  size: number;
  mtimeMs: number;
  offset: number;
  /** What the adapter's last `parse` of this source returned as `state`. */
  state: unknown;
  /** Warnings counted since the source was last read from its start. */
  warnings: number;
  /** The same, by kind (`corrupt`, `missing-field`, `unknown-type`, `other`, `huge-line`, `invalid-record`). */
  warningKinds: Record<string, number>;
  /** jsonl: fingerprint of the bytes before `offset`. */
  tail: TailFingerprint | null;
  /** sqlite: the database and its `-wal` as last seen (inode, size, mtime of both). */
  signature: string | null;
  /** Epoch ms of the last write; also the row's version for {@link IngestCursorRepository.compareAndSet}. */
  updatedAt: number;
}

export type IngestCursorInput = Omit<IngestCursor, 'updatedAt' | 'warningKinds' | 'tail' | 'signature' | 'state' | 'inode'> & {
  inode?: string | null;
  state?: unknown;
  warningKinds?: Record<string, number>;
  tail?: TailFingerprint | null;
  signature?: string | null;
  /** Default now. */
  updatedAt?: number;
};

const count = z.number().int().nonnegative();
const cursorInputSchema = z.object({
  sourceId: z.string().min(1).max(1000),
  plugin: z.string().min(1).max(214),
  inode: z.string().max(64).nullish(),
  size: count,
  mtimeMs: z.number().nonnegative(),
  offset: count,
  state: z.unknown().optional(),
  warnings: count,
  warningKinds: z.record(z.string(), count).optional(),
  tail: z.object({ bytes: count, sha256: z.string() }).nullish(),
  signature: z.string().nullish(),
  updatedAt: count.optional(),
});

/**
 * The `state` column holds an envelope: the adapter's own state plus what the engine keeps
 * about the source beside the numeric columns. A column that is not an envelope (hand-edited,
 * or from an older writer) reads as the adapter's state with nothing else known.
 */
const envelopeSchema = z.object({
  v: z.literal(1),
  adapter: z.unknown().optional(),
  warningKinds: z.record(z.string(), count).optional(),
  tail: z.object({ bytes: count, sha256: z.string() }).nullish(),
  signature: z.string().nullish(),
});

interface CursorRow {
  source_id: string;
  plugin: string;
  inode: string | null;
  size: number;
  mtime_ms: number;
  offset: number;
  state: string;
  warnings: number;
  updated_at: number;
}

function toRow(input: IngestCursorInput): CursorRow {
  const cursor = validateInput(cursorInputSchema, input, 'ingest cursor');
  const envelope: z.input<typeof envelopeSchema> = { v: 1, adapter: cursor.state };
  if (cursor.warningKinds && Object.keys(cursor.warningKinds).length > 0) envelope.warningKinds = cursor.warningKinds;
  if (cursor.tail) envelope.tail = cursor.tail;
  if (cursor.signature) envelope.signature = cursor.signature;
  return {
    source_id: cursor.sourceId,
    plugin: cursor.plugin,
    inode: cursor.inode ?? null,
    size: cursor.size,
    // Whole milliseconds: the column is an integer and a fraction would never compare equal again.
    mtime_ms: Math.floor(cursor.mtimeMs),
    offset: cursor.offset,
    state: JSON.stringify(envelope),
    warnings: cursor.warnings,
    updated_at: cursor.updatedAt ?? Date.now(),
  };
}

function readEnvelope(text: unknown, sourceId: string, logger: Logger | undefined): z.output<typeof envelopeSchema> {
  if (typeof text !== 'string' || text === '') return { v: 1 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    logger?.warn({ table: TABLE, id: sourceId, error: (error as Error).message }, 'ingest cursor state is not JSON; reading the source from its start');
    return { v: 1 };
  }
  const envelope = envelopeSchema.safeParse(parsed);
  return envelope.success ? envelope.data : { v: 1, adapter: parsed };
}

function toCursor(row: Record<string, unknown>, logger: Logger | undefined): IngestCursor {
  const sourceId = String(row.source_id);
  const envelope = readEnvelope(row.state, sourceId, logger);
  return {
    sourceId,
    plugin: String(row.plugin),
    inode: stringOrNull(row.inode),
    size: numberOf(row.size),
    mtimeMs: numberOf(row.mtime_ms),
    offset: numberOf(row.offset),
    state: envelope.adapter,
    warnings: numberOf(row.warnings),
    warningKinds: envelope.warningKinds ?? {},
    tail: envelope.tail ?? null,
    signature: envelope.signature ?? null,
    updatedAt: numberOf(row.updated_at),
  };
}

const CURSOR_COLUMNS = ['source_id', 'plugin', 'inode', 'size', 'mtime_ms', 'offset', 'state', 'warnings', 'updated_at'] as const;
const SQLITE_INSERT_CURSOR = `insert into ${TABLE} (${CURSOR_COLUMNS.map((c) => `"${c}"`).join(', ')}) values (${CURSOR_COLUMNS.map(() => '?').join(', ')}) on conflict (source_id) do nothing`;
const SQLITE_UPDATE_CURSOR =
  `update ${TABLE} set ${CURSOR_COLUMNS.map((c) => `"${c}" = ?`).join(', ')} ` + 'where "source_id" = ? and "updated_at" = ? and "offset" = ?';

/** A compare-and-set prepared for a writer on the driver (see {@link SQLITE_CURSOR_SQL}). */
export interface CursorWrite {
  /** The row's values in {@link SQLITE_CURSOR_SQL}'s column order. */
  values: Array<string | number | null>;
  /** `null`: insert (no cursor yet); else the `where` of the update: source id, updated_at, offset. */
  expected: [string, number, number] | null;
  /** The cursor stored if it succeeds. */
  cursor: IngestCursor;
}

/** The statements of {@link preparedCompareAndSet} on SQLite: insert (values), update (values, then the expected source id, updated_at, offset). */
export const SQLITE_CURSOR_SQL = { insert: SQLITE_INSERT_CURSOR, update: SQLITE_UPDATE_CURSOR } as const;

/** The row a compare-and-set of `next` over `expected` writes, for a writer on the driver. */
export function cursorWrite(expected: IngestCursor | null, next: IngestCursorInput): CursorWrite {
  const updatedAt = Math.max(next.updatedAt ?? Date.now(), expected === null ? 0 : expected.updatedAt + 1);
  const row = toRow({ ...next, updatedAt });
  return {
    values: CURSOR_COLUMNS.map((column) => row[column]),
    expected: expected === null ? null : [expected.sourceId, expected.updatedAt, expected.offset],
    cursor: cursorOf(row, next),
  };
}

/** The cursor a row just written stands for, without reading its state back from JSON. */
function cursorOf(row: CursorRow, input: IngestCursorInput): IngestCursor {
  return {
    sourceId: row.source_id,
    plugin: row.plugin,
    inode: row.inode,
    size: row.size,
    mtimeMs: row.mtime_ms,
    offset: row.offset,
    state: input.state === undefined ? undefined : (JSON.parse(JSON.stringify(input.state)) as unknown),
    warnings: row.warnings,
    warningKinds: input.warningKinds !== undefined && Object.keys(input.warningKinds).length > 0 ? { ...input.warningKinds } : {},
    tail: input.tail ?? null,
    signature: input.signature || null,
    updatedAt: row.updated_at,
  };
}

/**
 * The ingest cursors (`ingest_cursors`): one row per source, keyed by source id. Listings are
 * ordered by source id. Writes that race another ingest (a report while `run` is running, two
 * machines on one PostgreSQL store) go through {@link compareAndSet}, so a slower writer never
 * moves a cursor back.
 */
/** Where a source stood at its cursor: enough to tell with a stat that it has not changed. */
export interface SourceIdentity {
  inode: string | null;
  size: number;
  mtimeMs: number;
}

export class IngestCursorRepository extends TableRepository<IngestCursor> implements Repository<IngestCursor, string, IngestCursorInput> {
  constructor(target: QueryTarget, options: RepositoryOptions = {}) {
    super(target, TABLE, toCursor, options);
  }

  async findById(sourceId: string): Promise<IngestCursor | null> {
    return this.one(`reading the ingest cursor of ${sourceId}`, (query) => query.where({ source_id: sourceId }));
  }

  async findAll(options?: PageOptions): Promise<IngestCursor[]> {
    return this.many('listing ingest cursors', (query) => query.orderBy('source_id'), options);
  }

  /** Every cursor of one plugin's sources. */
  async findByPlugin(plugin: string, options?: PageOptions): Promise<IngestCursor[]> {
    return this.many(`listing the ingest cursors of ${plugin}`, (query) => query.where({ plugin }).orderBy('source_id'), options);
  }

  /**
   * Just where each of a plugin's sources stood (inode, size, mtime), without the adapter
   * states and fingerprints: enough to tell the unchanged sources of a warm run apart with a
   * stat each, before reading the full cursors of the few that changed.
   */
  async identitiesByPlugin(plugin: string): Promise<Map<string, SourceIdentity>> {
    return (await this.identities(plugin)).get(plugin) ?? new Map();
  }

  /** {@link identitiesByPlugin} for every plugin at once (or one), by plugin. */
  async identities(plugin?: string): Promise<Map<string, Map<string, SourceIdentity>>> {
    const rows = await storageCall(`listing the ingest cursors${plugin === undefined ? '' : ` of ${plugin}`}`, () => {
      const query = this.knex(TABLE).select('plugin', 'source_id', 'inode', 'size', 'mtime_ms');
      return plugin === undefined ? query : query.where({ plugin });
    });
    const byPlugin = new Map<string, Map<string, SourceIdentity>>();
    for (const row of rows as Array<Record<string, unknown>>) {
      const owner = String(row.plugin);
      let identities = byPlugin.get(owner);
      if (identities === undefined) byPlugin.set(owner, (identities = new Map()));
      identities.set(String(row.source_id), { inode: stringOrNull(row.inode), size: numberOf(row.size), mtimeMs: numberOf(row.mtime_ms) });
    }
    return byPlugin;
  }

  /** The cursors of these sources (those that have one). */
  async findByIds(sourceIds: readonly string[]): Promise<IngestCursor[]> {
    const found: IngestCursor[] = [];
    // In slices: SQLite and PostgreSQL both cap the bind parameters of one statement.
    for (let start = 0; start < sourceIds.length; start += 500) {
      const slice = sourceIds.slice(start, start + 500);
      found.push(...(await this.many('reading ingest cursors', (query) => query.whereIn('source_id', slice).orderBy('source_id'), undefined)));
    }
    return found;
  }

  /** Inserts or replaces unconditionally. */
  async save(input: IngestCursorInput): Promise<IngestCursor> {
    const row = toRow(input);
    await storageCall(`saving the ingest cursor of ${row.source_id}`, () => this.knex(TABLE).insert(row).onConflict('source_id').merge());
    return toCursor({ ...row }, this.logger);
  }

  /**
   * Writes `next` only if the stored cursor is still `expected` (by its `updatedAt` and
   * `offset`; `null` = no cursor yet). Returns the written cursor, or `null` when another
   * writer got there first — the caller's transaction should then be rolled back, because the
   * records it wrote were read from a position that is no longer current. `next.updatedAt`
   * is made later than `expected.updatedAt` so the version always moves.
   */
  async compareAndSet(expected: IngestCursor | null, next: IngestCursorInput): Promise<IngestCursor | null> {
    const updatedAt = Math.max(next.updatedAt ?? Date.now(), expected === null ? 0 : expected.updatedAt + 1);
    const row = toRow({ ...next, updatedAt });
    const operation = `advancing the ingest cursor of ${row.source_id}`;
    if (expected === null) {
      // `do nothing` rather than catching a duplicate key: on PostgreSQL a failed statement
      // would abort the caller's whole transaction, which may hold other sources' chunks.
      const inserted = (await storageCall(operation, () =>
        this.knex(TABLE).insert(row).onConflict('source_id').ignore().returning('source_id'),
      )) as unknown[];
      return inserted.length === 1 ? toCursor({ ...row }, this.logger) : null;
    }
    const changed = await storageCall(operation, () =>
      this.knex(TABLE).where({ source_id: expected.sourceId, updated_at: expected.updatedAt, offset: expected.offset }).update(row),
    );
    return changed === 1 ? toCursor({ ...row }, this.logger) : null;
  }

  /**
   * {@link compareAndSet} for many cursors in the caller's transaction: on SQLite two prepared
   * statements reused for every cursor (a batch of a thousand small sources would otherwise
   * build, prepare and run a thousand knex queries), on PostgreSQL the same queries as
   * {@link compareAndSet}. The returned function must only be used inside that transaction.
   */
  async preparedCompareAndSet(): Promise<(expected: IngestCursor | null, next: IngestCursorInput) => Promise<IngestCursor | null>> {
    if (targetDialect(this.target) !== 'sqlite') return (expected, next) => this.compareAndSet(expected, next);
    const raw = await rawConnectionOf(this.knex as Knex.Transaction);
    if (raw.dialect !== 'sqlite') throw new TypeError('expected a SQLite connection');
    const insert = raw.connection.prepare(SQLITE_INSERT_CURSOR);
    const update = raw.connection.prepare(SQLITE_UPDATE_CURSOR);
    return async (expected, next) => {
      const write = cursorWrite(expected, next);
      const changes = await storageCall(`advancing the ingest cursor of ${write.cursor.sourceId}`, async () =>
        write.expected === null ? insert.run(write.values).changes : update.run([...write.values, ...write.expected]).changes,
      );
      return changes === 1 ? write.cursor : null;
    };
  }

  async delete(sourceId: string): Promise<boolean> {
    return this.deleteWhere(`deleting the ingest cursor of ${sourceId}`, { source_id: sourceId });
  }

  /** Forgets every cursor of a plugin (its sources are read again from the start next time). */
  async deleteByPlugin(plugin: string): Promise<number> {
    return storageCall(`deleting the ingest cursors of ${plugin}`, () => this.knex(TABLE).where({ plugin }).delete());
  }
}
