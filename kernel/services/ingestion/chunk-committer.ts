import type { Logger } from 'pino';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import type { UsageRecordInput } from '../storage/bulk';
import type { Database } from '../storage/database';
import { writeChunks, type BatchResult, type ChunkWrite } from './chunk-writer';
import { SqliteBatchWriter } from './sqlite-batch-writer';
import type { IngestCursor } from './ingest-cursor-repository';
import type { IngestHooks } from './ingest-hooks';
import type { IngestLimits } from './ingest-limits';
import type { AdapterRun, ChunkWarnings, CommitStep, RunContext } from './ingest-run';
import { addCounts, totalOf } from './ingest-summary';
import { SessionDeltas } from './session-merge';
import type { UsagePricer } from './usage-pricer';

const MAX_WARNING_SAMPLES = 5;

/** What a committed chunk resolves to: the cursor now stored for the source. */
export interface ChunkResult {
  cursor: IngestCursor;
}

/** A chunk handed to the committer: `done` settles once its transaction did. */
export interface QueuedCommit {
  /** The cursor written; `null` when nothing of the chunk was written (superseded); rejects when its write failed. */
  done: Promise<ChunkResult | null>;
}

/** A chunk priced and waiting in the queue for its transaction. */
interface QueuedChunk {
  run: AdapterRun;
  source: IngestSource;
  context: RunContext;
  write: ChunkWrite;
  warnings: ChunkWarnings;
  /** Dedup key → the record's session (external id) and model, for CostRecorded. */
  keys: Array<[string, string, string]>;
  /** Lines the chunk stands for: what bounds a transaction. */
  lines: number;
  resolve: (result: ChunkResult | null) => void;
  reject: (error: unknown) => void;
}

/**
 * The write half of ingesting: turns what the adapter returned into priced usage records and
 * session deltas, and writes chunks with their cursors in transactions.
 *
 * Readers hand chunks over and go on reading; the committer writes them in order, many to one
 * transaction — up to `chunkLines` lines' worth, or what is waiting after `commitDelayMs`, or
 * everything when asked to {@link flush} — because a transaction's cost is mostly its commit
 * (measured: 100k records in 1 transaction 0.9 s, in 900 transactions 4.0 s). Each chunk still
 * lands with its cursor, all or nothing, and a chunk whose cursor another ingest moved is left
 * out (with the rest of its source). After a commit it adds to the run's summary and queues the
 * hooks the commit caused.
 */
export class ChunkCommitter {
  private readonly queue: QueuedChunk[] = [];
  private queuedLines = 0;
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly roomWaiters: Array<() => void> = [];

  /**
   * Large batches on SQLite are written from a worker thread (see {@link SqliteBatchWriter}); a
   * small one is not worth the thread's start (~30 ms) and the copy to it.
   */
  private readonly sqliteWriter: SqliteBatchWriter | null;

  constructor(
    private readonly database: Database,
    private readonly pricer: UsagePricer,
    private readonly hooks: IngestHooks,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly limits: Pick<IngestLimits, 'chunkLines' | 'commitDelayMs' | 'writerThreadRecords'>,
  ) {
    this.sqliteWriter = SqliteBatchWriter.forDatabase(database);
  }

  /** Writes what is queued and stops the writer thread, if one was started (the next batch starts another). */
  async release(): Promise<void> {
    await this.flush();
    await this.sqliteWriter?.close();
  }

  /**
   * Prices a parse output and queues it for a transaction, after its source's earlier chunks.
   * Resolves once it is queued (a full queue makes the reader wait): `done` then settles when it
   * is committed.
   */
  async enqueue(run: AdapterRun, source: IngestSource, context: RunContext, step: CommitStep): Promise<QueuedCommit> {
    while (this.queuedLines >= 2 * this.limits.chunkLines) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    const { agentType } = run.adapter;
    const { output, warnings } = step;
    const deltas = new SessionDeltas(agentType);
    const records: UsageRecordInput[] = [];
    const keys: Array<[string, string, string]> = [];
    if (output !== null) {
      addCounts(warnings.counts, output.warnings);
      warnings.samples.push(...output.samples);
    }
    const dropped = (message: string): void => {
      warnings.counts['invalid-record'] = (warnings.counts['invalid-record'] ?? 0) + 1;
      if (warnings.samples.length < MAX_WARNING_SAMPLES) warnings.samples.push(`invalid-record: ${message}`);
    };
    const measure = this.hooks.listening('CostRecorded');
    for (const record of output?.records ?? []) {
      const recordedAt = Date.parse(record.recordedAt);
      const sessionId = deltas.idOf(record.sessionId);
      if (sessionId === null || recordedAt < 0) {
        dropped(sessionId === null ? `record ${record.dedupKey}: session id too long` : `record ${record.dedupKey}: recordedAt before 1970`);
        continue;
      }
      deltas.addRecord(record.sessionId, recordedAt);
      // Spelled out rather than spread: object spread costs microseconds a record, seconds a million.
      const input: UsageRecordInput = {
        dedupKey: record.dedupKey,
        sessionId,
        agentType,
        model: record.model,
        provider: record.provider ?? null,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        cacheWriteTokens: record.cacheWriteTokens,
        cacheWrite1hTokens: record.cacheWrite1hTokens ?? 0,
        cacheReadTokens: record.cacheReadTokens,
        reasoningTokens: record.reasoningTokens,
        costUsd: 0,
        costSource: 'calculated',
        recordedAt,
        flags: record.flags,
      };
      const priced = this.pricer.price(input, record.costUsd);
      if (priced.unknownModel !== undefined) context.unknownModels.add(priced.unknownModel);
      input.costUsd = priced.costUsd;
      input.costSource = priced.costSource;
      records.push(input);
      if (measure) keys.push([record.dedupKey, record.sessionId, record.model]);
    }
    for (const session of output?.sessions ?? []) {
      if (!deltas.addEvent(session)) dropped(`session ${session.sessionId}: id too long`);
    }
    step.tally.warnings += totalOf(warnings.counts);
    addCounts(step.tally.kinds, warnings.counts);

    const write: ChunkWrite = {
      chain: step.chain,
      next: { ...step.next, warnings: step.tally.warnings, warningKinds: { ...step.tally.kinds } as Record<string, number> },
      records,
      conflict: source.conflict ?? 'ignore',
      sessions: deltas.values(),
      fallbackTime: step.identity.mtimeMs,
    };
    const lines = Math.max(1, step.lines, records.length);
    const done = new Promise<ChunkResult | null>((resolve, reject) => {
      this.queue.push({ run, source, context, write, warnings, keys, lines, resolve, reject });
    });
    this.queuedLines += lines;
    if (this.queuedLines >= this.limits.chunkLines) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.limits.commitDelayMs);
    return { done };
  }

  /** Writes everything queued now; resolves when it is committed (or failed). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing !== null) await this.flushing;
    if (this.queue.length === 0) return;
    const flushing = this.writeQueued();
    this.flushing = flushing;
    try {
      await flushing;
    } finally {
      this.flushing = null;
    }
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      await this.writeBatch(batch);
    }
  }

  /** The oldest queued chunks, up to `chunkLines` lines (at least one chunk); makes room for waiting readers. */
  private takeBatch(): QueuedChunk[] {
    let lines = 0;
    let count = 0;
    for (const queued of this.queue) {
      if (count > 0 && lines + queued.lines > this.limits.chunkLines) break;
      lines += queued.lines;
      count++;
    }
    this.queuedLines -= lines;
    for (const wake of this.roomWaiters.splice(0)) wake();
    return this.queue.splice(0, count);
  }

  private async writeBatch(batch: QueuedChunk[]): Promise<void> {
    const measure = batch.some((queued) => queued.keys.length > 0);
    const now = this.now();
    let result: BatchResult;
    const write = { chunks: batch.map((queued) => queued.write), now, measureCostChanges: measure };
    const records = batch.reduce((sum, queued) => sum + queued.write.records.length, 0);
    try {
      result = this.sqliteWriter !== null && records >= this.limits.writerThreadRecords ? await this.sqliteWriter.write(write) : await writeChunks(this.database, write);
    } catch (error) {
      if (batch.length === 1) {
        const failed = batch[0] as QueuedChunk;
        failed.write.chain.stopped = 'failed';
        failed.reject(error);
        return;
      }
      // One chunk's failure must not fail the others: each alone, so the error lands on its own source.
      this.log.debug({ chunks: batch.length, err: error instanceof Error ? error.message : String(error) }, 'a batch of chunks failed; writing them one by one');
      for (const queued of batch) await this.writeBatch([queued]);
      return;
    }
    this.settle(batch, result, now);
  }

  private settle(batch: QueuedChunk[], result: BatchResult, now: number): void {
    const sessionsOf = new Map<string, string>();
    const modelsOf = new Map<string, string>();
    const agentOf = new Map<string, string>();
    let context: RunContext | undefined;
    batch.forEach((queued, index) => {
      const cursor = result.cursors[index] ?? null;
      const { chain } = queued.write;
      if (cursor === null) {
        if (chain.stopped === null) {
          chain.stopped = 'superseded';
          this.log.debug({ plugin: queued.run.adapter.plugin, source: queued.source.id }, 'another ingest moved this cursor first; leaving the source to it');
        }
        return;
      }
      chain.cursor = cursor;
      queued.run.cursors.set(queued.source.id, cursor);
      for (const [key, sessionId, model] of queued.keys) {
        sessionsOf.set(key, sessionId);
        modelsOf.set(key, model);
        agentOf.set(key, queued.run.adapter.agentType);
      }
      this.noteWarnings(queued.run, queued.source, queued.warnings, queued.context);
      // Runs never overlap, so the chunks of one batch all belong to one run.
      context ??= queued.context;
    });
    if (context !== undefined) {
      const { summary } = context;
      summary.records.inserted += result.upsert.inserted;
      summary.records.updated += result.upsert.updated;
      summary.records.unchanged += result.upsert.unchanged;
      context.progress.recordsWritten += result.upsert.inserted + result.upsert.updated;
      for (const session of result.sessions) {
        if (session.previousStatus === null) {
          summary.sessions.created += 1;
          this.hooks.emit('SessionStart', {
            sessionId: session.externalId,
            agentType: session.agentType,
            ...(session.projectPath ? { projectPath: session.projectPath } : {}),
            startedAt: new Date(session.startedAt).toISOString(),
          });
        } else {
          summary.sessions.updated += 1;
          if (session.previousStatus === 'active' && session.status !== 'active') {
            summary.sessions.ended += 1;
            this.hooks.emit('SessionEnd', { sessionId: session.externalId, agentType: session.agentType, endedAt: new Date(now).toISOString(), status: session.status });
          }
        }
      }
    }
    this.emitCostRecorded(result.costChanges, sessionsOf, modelsOf, agentOf);
    batch.forEach((queued, index) => {
      const cursor = result.cursors[index] ?? null;
      queued.resolve(cursor === null ? null : { cursor });
    });
  }

  /** One CostRecorded per session per commit, for the records it actually added or grew. */
  private emitCostRecorded(changes: Map<string, number>, sessions: Map<string, string>, models: Map<string, string>, agents: Map<string, string>): void {
    if (changes.size === 0) return;
    const bySession = new Map<string, { agentType: string; sessionId: string; costUsd: number; models: Map<string, number> }>();
    for (const [key, cost] of changes) {
      const sessionId = sessions.get(key);
      const model = models.get(key);
      const agentType = agents.get(key);
      if (sessionId === undefined || model === undefined || agentType === undefined) continue;
      const id = `${agentType}\u0000${sessionId}`;
      let entry = bySession.get(id);
      if (entry === undefined) {
        entry = { agentType, sessionId, costUsd: 0, models: new Map() };
        bySession.set(id, entry);
      }
      entry.costUsd += cost;
      entry.models.set(model, (entry.models.get(model) ?? 0) + cost);
    }
    for (const entry of bySession.values()) {
      // The payload names one model: the one that cost the most in this commit.
      let model = '';
      let most = -Infinity;
      for (const [name, cost] of entry.models) {
        if (cost > most) {
          most = cost;
          model = name;
        }
      }
      this.hooks.emit('CostRecorded', { sessionId: entry.sessionId, agentType: entry.agentType, model, costUsd: entry.costUsd });
    }
  }

  private noteWarnings(run: AdapterRun, source: IngestSource, chunk: ChunkWarnings, context: RunContext): void {
    if (totalOf(chunk.counts) === 0) return;
    let entry = context.warningsBySource.get(source.id);
    if (entry === undefined) {
      entry = { plugin: run.adapter.plugin, agentType: run.adapter.agentType, sourceId: source.id, path: source.path, counts: {}, samples: [] };
      context.warningsBySource.set(source.id, entry);
    }
    addCounts(entry.counts, chunk.counts);
    for (const sample of chunk.samples) if (entry.samples.length < MAX_WARNING_SAMPLES) entry.samples.push(sample);
  }
}
