import type { Logger } from 'pino';
import type { ResolvedConfig } from '../../config';
import { errorMessage } from '../../core/errors';
import type { SyncRunReport, SyncService } from './sync-service';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Timers, injectable so tests drive the schedule without waiting hours. */
export interface SchedulerTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: SchedulerTimers = {
  setTimeout: (run, ms) => {
    const handle = setTimeout(run, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SyncSchedulerOptions {
  service: Pick<SyncService, 'run' | 'providers' | 'history' | 'modelsUpdatedAt' | 'refreshPrices'>;
  config: ResolvedConfig['sync'];
  logger?: Logger;
  now?: () => number;
  timers?: SchedulerTimers;
  /** Delay before the first check after `start`, so boot and the first ingest go first. Default 10 s. */
  firstCheckMs?: number;
  /** Longest sleep between two checks. Default 10 minutes (or the interval, if shorter). */
  checkEveryMs?: number;
}

/**
 * Runs the sync providers periodically while `rimuru-kernel run` runs. A provider is due when
 * its last good sync is older than `sync.intervalHours` (or it never synced), its last attempt
 * is older than its rate limit (`sync.providers.<name>.minIntervalMinutes`, else
 * `sync.minIntervalMinutes`) and any `Retry-After` it sent has passed. Due providers are synced
 * together in one run; a failure keeps the last good data and is tried again once the rate
 * limit allows. The schedule is kept in the store (`sync_runs`), so a restart does not sync
 * again what is fresh — nor would a second kernel on the same PostgreSQL. Each check also
 * picks up models another process synced (the cost engine re-reads them, records re-priced).
 */
export class SyncScheduler {
  private readonly now: () => number;
  private readonly timers: SchedulerTimers;
  private timer: unknown;
  private running: Promise<SyncRunReport | null> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  /** When synced models last changed, as of the last check: a change made elsewhere is picked up. */
  private seenModelsAt: number | undefined;

  constructor(private readonly options: SyncSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
  }

  private get intervalMs(): number {
    return this.options.config.intervalHours * HOUR_MS;
  }

  /** Starts checking; does nothing when `sync.intervalHours` is 0. */
  start(): void {
    if (this.intervalMs <= 0 || this.stopped) return;
    this.schedule(this.options.firstCheckMs ?? 10_000);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule(this.options.checkEveryMs ?? Math.min(10 * MINUTE_MS, this.intervalMs)));
    }, ms);
  }

  /** The providers due now (see the class). */
  async dueProviders(): Promise<string[]> {
    const now = this.now();
    const latest = await this.options.service.history.latest();
    const due: string[] = [];
    for (const provider of this.options.service.providers()) {
      if (!provider.enabled) continue;
      const runs = latest.get(provider.provider);
      const minIntervalMs = (this.options.config.providers[provider.provider]?.minIntervalMinutes ?? this.options.config.minIntervalMinutes) * MINUTE_MS;
      if (runs?.lastGood && now - runs.lastGood.startedAt < this.intervalMs) continue;
      if (runs && now - runs.last.startedAt < minIntervalMs) continue;
      if (runs?.last.retryAfterAt != null && runs.last.retryAfterAt > now) continue;
      due.push(provider.provider);
    }
    return due;
  }

  /** One check: syncs the due providers, if any. Never throws (a failure is logged). */
  tick(): Promise<SyncRunReport | null> {
    this.running ??= (async () => {
      try {
        await this.catchUp();
        const due = await this.dueProviders();
        if (due.length === 0 || this.stopped) return null;
        const report = await this.options.service.run({ providers: due, trigger: 'schedule', signal: this.abort.signal });
        this.seenModelsAt = await this.options.service.modelsUpdatedAt();
        return report;
      } catch (error) {
        this.options.logger?.warn({ err: errorMessage(error) }, 'scheduled sync failed; the next check tries again');
        return null;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /**
   * Prices from a sync this kernel did not run (`sync run` in another process, another
   * machine on the same PostgreSQL): when the synced models changed since the last check, the
   * cost engine re-reads them and the records that had no price are priced.
   */
  private async catchUp(): Promise<void> {
    const stamp = await this.options.service.modelsUpdatedAt();
    const changed = this.seenModelsAt !== undefined && stamp > this.seenModelsAt;
    this.seenModelsAt = stamp;
    if (!changed || this.stopped) return;
    const repriced = await this.options.service.refreshPrices();
    this.options.logger?.info({ records: repriced.records }, 'sync: picked up models synced elsewhere');
  }

  /**
   * Stops the schedule and interrupts a run's retry waits (it writes nothing more once
   * aborted). Resolves when the run in flight has ended, or after `waitMs`.
   */
  async stop(waitMs = 2_000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    const running = this.running;
    if (running === undefined) return;
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([running.then(() => undefined), new Promise<void>((resolve) => (bound = setTimeout(resolve, waitMs)))]);
    clearTimeout(bound);
  }
}
