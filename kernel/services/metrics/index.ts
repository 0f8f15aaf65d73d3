/** System metrics: CPU, memory and active sessions sampled into `system_metrics` while the kernel runs. */
export { SystemMetricsCollector, retentionMsOf, type CollectorCounts, type SystemMetricsCollectorOptions } from './system-metrics-collector';
export { SystemSampler, type HostSample } from './system-sampler';
