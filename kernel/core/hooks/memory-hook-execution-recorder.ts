import type { HookExecution, HookExecutionRecorder } from './hook-execution';
import { ConfigError, ErrorCodes } from '../errors';

export const DEFAULT_RECORDER_CAPACITY = 1000;

/**
 * Keeps the newest executions in a fixed-size ring buffer, so a long-running kernel holds a
 * bounded amount of history however many hooks fire.
 */
export class MemoryHookExecutionRecorder implements HookExecutionRecorder {
  private readonly buffer: (HookExecution | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number = DEFAULT_RECORDER_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new ConfigError(ErrorCodes.CONFIG_INVALID, `Hook execution recorder capacity must be a positive integer, got ${capacity}`);
    }
    this.buffer = new Array<HookExecution | undefined>(capacity);
  }

  record(execution: HookExecution): void {
    this.buffer[this.next] = execution;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Number of executions currently held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** The newest `n` executions (all held ones by default), oldest first. */
  recent(n: number = this.count): HookExecution[] {
    const take = Math.max(0, Math.min(Math.floor(n), this.count));
    const out: HookExecution[] = [];
    for (let i = take; i > 0; i--) {
      const execution = this.buffer[(this.next - i + this.capacity) % this.capacity];
      if (execution) out.push(execution);
    }
    return out;
  }

  clear(): void {
    this.buffer.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
