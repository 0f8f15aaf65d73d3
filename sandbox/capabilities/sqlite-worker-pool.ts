import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { SQLITE_WORKER_SOURCE } from './sqlite-worker-source';

export interface SqliteQuery {
  file: string;
  sql: string;
  params: Array<string | number | null>;
  maxRows: number;
  maxBytes: number;
  maxHandles: number;
  timeoutMs: number;
}

/** Why a query failed, as the worker (or the host watching it) saw it. */
export class SqliteQueryFailure extends Error {
  constructor(
    readonly kind: 'not-reader' | 'too-many-rows' | 'too-large' | 'sqlite' | 'timeout' | 'worker',
    message: string,
  ) {
    super(message);
  }
}

const replySchema = z.union([
  z.object({ id: z.number(), ok: z.literal(true), rows: z.array(z.record(z.string(), z.unknown())) }),
  z.object({ id: z.number(), ok: z.literal(false), kind: z.enum(['not-reader', 'too-many-rows', 'too-large', 'sqlite']), message: z.string() }),
]);

interface Pending {
  resolve(rows: Array<Record<string, unknown>>): void;
  reject(error: SqliteQueryFailure): void;
  timer: NodeJS.Timeout;
}

/**
 * One worker thread per plugin holding its read-only database handles. Queries run one at a
 * time in it; one that outlives its timeout gets the whole thread terminated (the only way to
 * stop a synchronous better-sqlite3 call), which also closes its handles; the next query
 * starts a fresh worker.
 */
export class SqliteWorkerPool {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  query(query: SqliteQuery): Promise<Array<Record<string, unknown>>> {
    if (this.closed) return Promise.reject(new SqliteQueryFailure('worker', 'the sqlite capability has been disposed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failAll(new SqliteQueryFailure('timeout', `the query ran longer than ${query.timeoutMs} ms and was stopped`));
        void this.stopWorker();
      }, query.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, ...query });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new SqliteQueryFailure('worker', 'the sqlite capability has been disposed'));
    await this.stopWorker();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(SQLITE_WORKER_SOURCE, {
      eval: true,
      workerData: { driverPath: require.resolve('better-sqlite3') },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    worker.unref();
    worker.on('message', (message: unknown) => this.settle(message));
    worker.on('error', (error) => this.failAll(new SqliteQueryFailure('worker', `the sqlite worker crashed: ${error.message}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new SqliteQueryFailure('worker', 'the sqlite worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private settle(message: unknown): void {
    const reply = replySchema.safeParse(message);
    if (!reply.success) return;
    const pending = this.pending.get(reply.data.id);
    if (!pending) return;
    this.pending.delete(reply.data.id);
    clearTimeout(pending.timer);
    if (reply.data.ok) pending.resolve(reply.data.rows);
    else pending.reject(new SqliteQueryFailure(reply.data.kind, reply.data.message));
  }

  private failAll(error: SqliteQueryFailure): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
