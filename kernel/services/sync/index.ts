/**
 * Pricing sync: the sync plugins' providers (LiteLLM, OpenRouter, the vendors' model lists)
 * merged into the `models` table (`ModelAggregator`), run on demand (`SyncService`, the
 * `sync` commands) and periodically inside `rimuru-kernel run` (`SyncScheduler`), with the
 * history of every run in `sync_runs`. The embedded snapshot stays the floor beneath it all.
 */
export { ModelAggregator, type AggregateResult, type SourceModels, type SourceStanding } from './model-aggregator';
export { repriceUnpricedRecords, type RepriceResult } from './reprice-records';
export { checkOutcome, MAX_MODELS_PER_PROVIDER, MAX_REJECTED_KEPT, type CheckedOutcome } from './sync-outcome-schema';
export { SyncRunRepository, SYNC_STATUSES, type SyncRunInput, type SyncRunRecord, type SyncStatus, type SyncTrigger } from './sync-run-repository';
export { DEFAULT_SYNC_PRIORITY, netEntryOf, syncContribution, syncRunSettings, type PluginRunSettings, type SyncContribution } from './sync-run-settings';
export { SyncScheduler, type SchedulerTimers, type SyncSchedulerOptions } from './sync-scheduler';
export {
  listSyncProviders,
  SyncService,
  type ProviderRunResult,
  type SyncHost,
  type SyncProvider,
  type SyncRunOptions,
  type SyncRunReport,
  type SyncSandbox,
  type SyncServiceOptions,
} from './sync-service';
