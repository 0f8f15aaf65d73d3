/**
 * Ingestion: reads what is new in the coding agents' logs through the adapter plugins and
 * writes usage records, sessions and per-source cursors to the store, one transaction per
 * chunk. A host service; the kernel runs it (`Kernel.ingest`, `Kernel.watch`).
 */
export { IngestionEngine } from './ingestion-engine';
export type { AdapterSandbox, IngestAdapter, IngestionEngineOptions, IngestOptions, IngestRunSummary } from './ingestion-engine';
export { IngestionWatcher } from './ingestion-watcher';
export type { IngestionWatcherOptions, WatchedEngine, WatchTarget, WatchTargets } from './ingestion-watcher';
export { IngestCursorRepository } from './ingest-cursor-repository';
export type { IngestCursor, IngestCursorInput, TailFingerprint } from './ingest-cursor-repository';
export { DEFAULT_INGEST_LIMITS, limitsForSandbox, WRITER_THREAD_RECORDS } from './ingest-limits';
export type { IngestLimits } from './ingest-limits';
export { INGEST_WARNING_KINDS } from './ingest-summary';
export type {
  AdapterOutcome,
  IngestError,
  IngestProgress,
  IngestSourceCounts,
  IngestSummary,
  IngestWarningKind,
  SourceWarnings,
  WarningCounts,
} from './ingest-summary';
export { lazyPricingServicePricer, usagePricer } from './usage-pricer';
export type { PricedUsage, UsagePricer, UsageToPrice } from './usage-pricer';
export { adapterContribution, adapterRunSettings, agentEnabled } from './adapter-plugins';
export type { AdapterContribution, AdapterRunSettings } from './adapter-plugins';
