import { spawn, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { SQLITE_QUERY_SOURCE } from './sqlite-query-source';

export interface SqliteQuery {
  file: string;
  sql: string;
  params: Array<string | number | null>;
  maxRows: number;
  maxBytes: number;
  maxHandles: number;
  timeoutMs: number;
}

/** Why a query failed, as the child (or the host watching it) saw it. */
export class SqliteQueryFailure extends Error {
  constructor(
    readonly kind: 'not-reader' | 'too-many-rows' | 'too-large' | 'sqlite' | 'timeout' | 'process',
    message: string,
  ) {
    super(message);
  }
}

const replySchema = z.union([
  z.object({ id: z.number(), ok: z.literal(true), rows: z.array(z.record(z.string(), z.unknown())) }),
  z.object({ id: z.number(), ok: z.literal(false), kind: z.enum(['not-reader', 'too-many-rows', 'too-large', 'sqlite']), message: z.string() }),
]);

const readySchema = z.object({ ready: z.literal(true) });

interface Pending {
  resolve(rows: Array<Record<string, unknown>>): void;
  reject(error: SqliteQueryFailure): void;
  timer: NodeJS.Timeout;
}

/**
 * One child process per plugin holding its read-only database handles (see
 * {@link SQLITE_QUERY_SOURCE} for why a process). Queries run one at a time in it; one that
 * outlives its timeout gets the process killed, failing whatever was queued behind it; the
 * next query starts a fresh process.
 */
interface RunningChild {
  process: ChildProcess;
  /** Settles once the child has loaded the driver and can take queries. */
  ready: Promise<void>;
}

export class SqliteQueryProcess {
  private child: RunningChild | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  async query(query: SqliteQuery): Promise<Array<Record<string, unknown>>> {
    if (this.closed) throw new SqliteQueryFailure('process', 'the sqlite capability has been disposed');
    const child = this.ensureChild();
    await child.ready;
    if (this.child !== child) throw new SqliteQueryFailure('process', 'the sqlite process stopped before the query could run');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failAll(new SqliteQueryFailure('timeout', `the query ran longer than ${query.timeoutMs} ms and was stopped`));
        this.kill();
      }, query.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const { timeoutMs: _deadline, ...message } = query;
      child.process.send({ id, ...message });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new SqliteQueryFailure('process', 'the sqlite capability has been disposed'));
    this.kill();
  }

  private ensureChild(): RunningChild {
    if (this.child) return this.child;
    const child = spawn(process.execPath, ['--max-old-space-size=256', '-e', SQLITE_QUERY_SOURCE, require.resolve('better-sqlite3')], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: {},
      serialization: 'json',
    });
    // Neither the process nor its channel may keep the kernel alive; the child exits on disconnect.
    child.unref();
    child.channel?.unref();
    let markReady: () => void = () => undefined;
    let markFailed: (error: SqliteQueryFailure) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    // Nobody may be awaiting `ready` when the child dies; the rejection is still handled.
    ready.catch(() => undefined);
    const running: RunningChild = { process: child, ready };
    // A child killed on purpose has had its queries failed already; only the current child's
    // death may fail what is pending, or it would fail queries of its successor.
    const stopped = (reason: string) => {
      if (this.child !== running) return;
      this.child = null;
      const failure = new SqliteQueryFailure('process', reason);
      markFailed(failure);
      this.failAll(failure);
    };
    child.on('message', (message: unknown) => {
      if (readySchema.safeParse(message).success) markReady();
      else this.settle(message);
    });
    child.on('error', (error) => stopped(`the sqlite process failed: ${error.message}`));
    child.on('exit', (code, signal) => stopped(`the sqlite process stopped (${signal ?? `exit ${String(code)}`})`));
    this.child = running;
    return running;
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

  private kill(): void {
    const child = this.child;
    this.child = null;
    child?.process.kill('SIGKILL');
  }
}
