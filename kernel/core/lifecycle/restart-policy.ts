/**
 * When to restart a plugin whose isolate died, and when to give up. Exponential backoff from
 * `backoffMs`, capped at `maxBackoffMs`; after `maxRestarts` restarts the plugin stays down.
 */
export interface RestartPolicyOptions {
  maxRestarts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export class RestartPolicy {
  private restarts = 0;

  constructor(private readonly options: RestartPolicyOptions) {}

  /** Delay before the next restart, or `null` when the restarts are used up. */
  nextDelayMs(): number | null {
    if (this.restarts >= this.options.maxRestarts) return null;
    const delay = Math.min(this.options.backoffMs * 2 ** this.restarts, this.options.maxBackoffMs);
    this.restarts += 1;
    return delay;
  }

  get attempts(): number {
    return this.restarts;
  }

  get maxRestarts(): number {
    return this.options.maxRestarts;
  }
}
