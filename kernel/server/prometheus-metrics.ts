import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import { errorMessage } from '../core/errors';
import { PLUGIN_STATES, type PluginRegistry } from '../core/registry';
import type { IngestRunSummary } from '../services/ingestion';
import type { SystemMetricsCollector } from '../services/metrics';
import { CostAggregator, SessionRepository, type Database } from '../services/storage';

export interface PrometheusMetricsOptions {
  database: Database;
  registry: PluginRegistry;
  /** The running collector, for the last host sample and its own counts; absent when metrics are off. */
  collector?: SystemMetricsCollector;
  logger: Logger;
  now?: () => number;
}

/** Midnight of today in this process's time zone. */
function startOfToday(now: number): number {
  const date = new Date(now);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/**
 * The kernel's Prometheus registry (its own, not prom-client's global one): Node process
 * metrics (`rimuru_process_*`, `rimuru_nodejs_*`), and `rimuru_*` gauges read when scraped —
 * sessions active and today's cost from the store, plugins per state, the collector's last
 * host sample — plus counters of ingest runs, records and errors since start.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly ingestRuns: Counter;
  private readonly ingestRecords: Counter<'result'>;
  private readonly ingestErrors: Counter;

  constructor(options: PrometheusMetricsOptions) {
    const { database, registry: plugins, collector, logger } = options;
    const now = options.now ?? Date.now;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'rimuru_' });
    const sessions = new SessionRepository(database, { logger });
    const costs = new CostAggregator(database, { logger });
    // A gauge read from the store: a failed read leaves the gauge without a value for this scrape, and is logged.
    const fromStore = (what: string, read: () => Promise<number>) =>
      async function (this: Gauge): Promise<void> {
        try {
          this.set(await read());
        } catch (error) {
          this.reset();
          logger.warn({ err: errorMessage(error) }, `/metrics: could not read ${what}`);
        }
      };
    new Gauge({ name: 'rimuru_sessions_active', help: 'Agent sessions active now (written to in the last 30 minutes)', registers, collect: fromStore('active sessions', () => sessions.getActiveCount(now())) });
    new Gauge({
      name: 'rimuru_cost_today_usd',
      help: "USD the agents' usage cost today (local time of the kernel)",
      registers,
      collect: fromStore("today's cost", async () => (await costs.breakdown({ from: startOfToday(now()), to: now() + 1 })).costUsd),
    });
    new Gauge({
      name: 'rimuru_plugins',
      help: 'Plugins per state',
      labelNames: ['state'],
      registers,
      collect(this: Gauge<'state'>) {
        const counts = new Map<string, number>(PLUGIN_STATES.map((state) => [state, 0]));
        for (const record of plugins.list()) counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    const sampled = (name: string, help: string, pick: (sample: NonNullable<SystemMetricsCollector['latest']>) => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        collect(this: Gauge) {
          const value = collector?.latest ? pick(collector.latest) : null;
          if (value === null) this.reset();
          else this.set(value);
        },
      });
    sampled('rimuru_system_cpu_percent', 'Busy share of all CPUs over the last sampling interval, 0-100', (sample) => sample.cpuPercent);
    sampled('rimuru_system_memory_used_bytes', 'Memory in use on the host (total minus available)', (sample) => sample.memoryUsedBytes);
    sampled('rimuru_system_memory_total_bytes', 'Memory of the host', (sample) => sample.memoryTotalBytes);
    new Counter({
      name: 'rimuru_metrics_samples_total',
      help: 'System metrics samples recorded since start',
      registers,
      collect(this: Counter) {
        this.reset();
        this.inc(collector?.counts.samples ?? 0);
      },
    });
    this.ingestRuns = new Counter({ name: 'rimuru_ingest_runs_total', help: 'Ingest runs since start (the first one, then each watch-triggered run)', registers });
    this.ingestRecords = new Counter({ name: 'rimuru_ingest_records_total', help: 'Usage records written by ingest since start', labelNames: ['result'], registers });
    this.ingestErrors = new Counter({ name: 'rimuru_ingest_errors_total', help: 'Adapters or sources an ingest run could not read, since start', registers });
    this.ingestRecords.inc({ result: 'inserted' }, 0);
    this.ingestRecords.inc({ result: 'updated' }, 0);
  }

  /** Counts one ingest run. */
  observeIngest(summary: Pick<IngestRunSummary, 'records' | 'errors'>): void {
    this.ingestRuns.inc();
    this.ingestRecords.inc({ result: 'inserted' }, summary.records.inserted);
    this.ingestRecords.inc({ result: 'updated' }, summary.records.updated);
    this.ingestErrors.inc(summary.errors.length);
  }

  /** The text format Prometheus scrapes. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
