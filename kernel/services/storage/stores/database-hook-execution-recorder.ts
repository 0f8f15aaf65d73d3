import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { HookExecution, HookExecutionRecorder, HookExecutionResult } from '../../../core/hooks';
import type { HookName } from '../../../../sdk/src/hooks';

export interface DatabaseHookExecutionRecorderOptions {
  /** Rows buffered before a write. Default 200. */
  batchSize?: number;
  /** Longest a recorded execution waits in the buffer, in ms. Default 1000. */
  flushIntervalMs?: number;
  /** Most executions buffered while the database is unreachable; older ones are dropped (and counted). */
  maxBuffered?: number;
  logger?: Logger;
}

/**
 * Persists hook executions to `hook_executions` in batches, off the dispatch path: the bus
 * never waits for the database, and a database outage drops the oldest records (counted in
 * `dropped`) rather than growing without bound.
 */
export class DatabaseHookExecutionRecorder implements HookExecutionRecorder {
  private buffer: HookExecution[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private droppedCount = 0;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly knex: Knex,
    private readonly options: DatabaseHookExecutionRecorderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  record(execution: HookExecution): void {
    this.buffer.push(execution);
    if (this.buffer.length > this.maxBuffered) {
      this.droppedCount += this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, this.buffer.length - this.maxBuffered);
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when it is stored (or logged as lost). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  /** Executions dropped because the buffer overflowed while writes failed. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The newest executions first. */
  async recent(limit = 100, hook?: HookName): Promise<HookExecution[]> {
    await this.flush();
    const query = this.knex('hook_executions').select('*').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit);
    if (hook) query.where({ hook });
    const rows = (await query) as HookExecutionRow[];
    return rows.map(fromRow);
  }

  async dispose(): Promise<void> {
    await this.flush();
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        await this.knex('hook_executions').insert(batch.map(toRow));
        this.buffer.splice(0, batch.length);
      } catch (error) {
        // Kept for the next flush; the overflow rule above bounds what an outage can hold.
        this.options.logger?.warn({ err: error instanceof Error ? error.message : String(error), buffered: this.buffer.length }, 'could not store hook executions');
        return;
      }
    }
  }
}

interface HookExecutionRow {
  hook: string;
  handler_id: string;
  owner: string;
  started_at: number;
  duration_ms: number;
  result: string;
  error_code: string | null;
  error_message: string | null;
}

function toRow(execution: HookExecution): HookExecutionRow {
  return {
    hook: execution.hook,
    handler_id: execution.handlerId,
    owner: execution.owner,
    started_at: Date.parse(execution.startedAt),
    duration_ms: execution.durationMs,
    result: execution.result,
    error_code: execution.error?.code ?? null,
    error_message: execution.error?.message.slice(0, 2_000) ?? null,
  };
}

function fromRow(row: HookExecutionRow): HookExecution {
  return {
    hook: row.hook as HookName,
    handlerId: row.handler_id,
    owner: row.owner,
    startedAt: new Date(Number(row.started_at)).toISOString(),
    durationMs: Number(row.duration_ms),
    result: row.result as HookExecutionResult,
    ...(row.error_code ? { error: { code: row.error_code, message: row.error_message ?? '' } } : {}),
  };
}
