export { CostAggregator } from './cost-aggregator';
export { SessionAggregator } from './session-aggregator';
export { refreshUsageRollups, rollupBacklog, ROLLUP_BUCKET_MS } from './usage-rollups';
export type { RollupRefresh } from './usage-rollups';
