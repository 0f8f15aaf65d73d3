import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors';
import type { HookBus } from '../../core/hooks';
import { MetricsRepository, SessionRepository, type Database, type SystemMetric } from '../storage';
import { SystemSampler, type HostSample } from './system-sampler';

const DAY_MS = 86_400_000;

export interface SystemMetricsCollectorOptions {
  database: Database;
  hookBus: HookBus;
  logger: Logger;
  /** Between samples (config `metrics.intervalSecs`). */
  intervalMs: number;
  /** How long samples are kept (config `metrics.retentionDays`). */
  retentionMs: number;
  now?: () => number;
  sampler?: { sample(): HostSample };
}

/** The counts `/metrics` reports about the collector itself. */
export interface CollectorCounts {
  samples: number;
  failures: number;
  deleted: number;
}

/**
 * The system metrics service: every interval it samples CPU %, memory used/total and the
 * active sessions (from the store), records the sample in `system_metrics`, deletes samples
 * older than the retention, and fires `MetricsExport` with the figures. A failed sample is
 * logged and counted; the next tick tries again. `stop()` waits for a sample in flight.
 */
export class SystemMetricsCollector {
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<SystemMetric | null> = Promise.resolve(null);
  private readonly metrics: MetricsRepository;
  private readonly sessions: SessionRepository;
  private readonly sampler: { sample(): HostSample };
  private readonly now: () => number;
  private lastSample: SystemMetric | null = null;
  readonly counts: CollectorCounts = { samples: 0, failures: 0, deleted: 0 };

  constructor(private readonly options: SystemMetricsCollectorOptions) {
    this.metrics = new MetricsRepository(options.database, { logger: options.logger });
    this.sessions = new SessionRepository(options.database, { logger: options.logger });
    this.sampler = options.sampler ?? new SystemSampler();
    this.now = options.now ?? Date.now;
  }

  /** The most recent sample this collector recorded, or null. */
  get latest(): SystemMetric | null {
    return this.lastSample;
  }

  /** Samples once now (it primes the CPU counters), then every interval. */
  start(): void {
    if (this.timer) return;
    void this.collect();
    this.timer = setInterval(() => void this.collect(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One sample: measure, store, prune, announce. Resolves to the stored sample, or null when it failed (logged). */
  collect(): Promise<SystemMetric | null> {
    this.inFlight = this.inFlight.then(() => this.collectOnce());
    return this.inFlight;
  }

  private async collectOnce(): Promise<SystemMetric | null> {
    const { logger } = this.options;
    try {
      const collectedAt = this.now();
      const host = this.sampler.sample();
      const activeSessions = await this.sessions.getActiveCount(collectedAt);
      const stored = await this.metrics.record({
        collectedAt,
        cpuPercent: host.cpuPercent,
        memoryUsedBytes: host.memoryUsedBytes,
        memoryTotalBytes: host.memoryTotalBytes,
        activeSessions,
        extra: {
          processRssBytes: host.processRssBytes,
          processHeapUsedBytes: host.processHeapUsedBytes,
          processCpuPercent: host.processCpuPercent,
          loadAverage1m: host.loadAverage1m,
        },
      });
      this.counts.samples += 1;
      this.lastSample = stored;
      this.counts.deleted += await this.metrics.deleteOlderThan(this.options.retentionMs, collectedAt);
      const figures: Record<string, number> = {
        memoryUsedBytes: host.memoryUsedBytes,
        memoryTotalBytes: host.memoryTotalBytes,
        activeSessions,
        processRssBytes: host.processRssBytes,
        processHeapUsedBytes: host.processHeapUsedBytes,
        loadAverage1m: host.loadAverage1m,
      };
      if (host.cpuPercent !== null) figures.cpuPercent = host.cpuPercent;
      if (host.processCpuPercent !== null) figures.processCpuPercent = host.processCpuPercent;
      // A notification: handlers run side by side; one failing is recorded by the bus, not thrown.
      await this.options.hookBus.emitParallel('MetricsExport', { collectedAt: new Date(collectedAt).toISOString(), metrics: figures });
      return stored;
    } catch (error) {
      this.counts.failures += 1;
      logger.warn({ err: errorMessage(error) }, 'system metrics sample failed');
      return null;
    }
  }
}

/** `metrics.retentionDays` in ms. */
export function retentionMsOf(days: number): number {
  return days * DAY_MS;
}
