import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config';
import { Tokens } from '../core/container';
import type { Kernel } from '../core/lifecycle';
import type { IngestRunSummary } from '../services/ingestion';
import { retentionMsOf, SystemMetricsCollector } from '../services/metrics';
import type { Database } from '../services/storage';
import { KernelHttpServer } from './http-server';
import type { PrometheusMetrics } from './prometheus-metrics';

/** What `run` keeps going beside the kernel: the metrics collector and, when enabled, the HTTP server. */
export interface Monitoring {
  /** `http://host:port` when serving, else null. */
  readonly url: string | null;
  observeIngest(summary: IngestRunSummary): void;
  stop(): Promise<void>;
}

/**
 * Starts the system metrics collector (`metrics.enabled`, every `metrics.intervalSecs`, kept
 * `metrics.retentionDays`) and, with `server.enabled`, the HTTP server on `server.host:port`
 * with `/metrics` (Prometheus text format) and `/health` (the store's health, the plugins).
 * @throws RimuruError E7101 when the server cannot listen (the collector is stopped again).
 */
export async function startMonitoring(kernel: Kernel, config: ResolvedConfig, logger: Logger, startedAt: Date): Promise<Monitoring> {
  const database: Database = kernel.container.resolve(Tokens.Database);
  const collector = config.metrics.enabled
    ? new SystemMetricsCollector({
        database,
        hookBus: kernel.hookBus,
        logger,
        intervalMs: config.metrics.intervalSecs * 1000,
        retentionMs: retentionMsOf(config.metrics.retentionDays),
      })
    : undefined;
  collector?.start();
  // Only when serving: prom-client's default metrics start observers of their own.
  // prom-client (~30 ms to load) only when serving: every other command pays nothing for it.
  const prometheus = config.server.enabled
    ? new (require('./prometheus-metrics') as typeof import('./prometheus-metrics')).PrometheusMetrics({ database, registry: kernel.registry, collector, logger })
    : undefined;
  let server: KernelHttpServer | undefined;
  if (prometheus) {
    try {
      server = await KernelHttpServer.start({
        host: config.server.host,
        port: config.server.port,
        logger,
        routes: {
          '/metrics': async () => ({ status: 200, ...(await prometheus.text()) }),
          '/health': async () => {
            const store = await database.healthCheck(2_000);
            const summary = kernel.summary();
            const body = {
              status: store.ok ? 'ok' : 'unavailable',
              pid: process.pid,
              startedAt: startedAt.toISOString(),
              uptimeSecs: Math.round((Date.now() - startedAt.getTime()) / 1000),
              store: { ok: store.ok, dialect: store.dialect, latencyMs: Math.round(store.latencyMs * 100) / 100, ...(store.error ? { error: store.error } : {}) },
              plugins: summary,
              metrics: collector ? { samples: collector.counts.samples, failures: collector.counts.failures, lastSampleAt: collector.latest ? new Date(collector.latest.collectedAt).toISOString() : null } : null,
            };
            return { status: store.ok ? 200 : 503, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(body)}\n` };
          },
        },
      });
    } catch (error) {
      await collector?.stop();
      throw error;
    }
  }
  return {
    url: server?.url ?? null,
    observeIngest: (summary) => prometheus?.observeIngest(summary),
    async stop() {
      await server?.close();
      await collector?.stop();
    },
  };
}
