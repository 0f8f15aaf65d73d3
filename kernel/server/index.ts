/** The kernel's HTTP side: `/metrics` and `/health` while `run` runs (the API and dashboard come later). */
export { KernelHttpServer, type KernelHttpServerOptions, type RouteHandler } from './http-server';
export type { PrometheusMetrics, PrometheusMetricsOptions } from './prometheus-metrics';
export { startMonitoring, type Monitoring } from './monitoring';
