/**
 * Storage: the kernel's store of sessions, usage and costs, on SQLite (embedded default) or
 * PostgreSQL (shared by a team). A host service; plugins reach it only through capabilities.
 *
 * Naming: the seeds' snake_case API is spelled in camelCase (`find_by_id` → `findById`,
 * `sum_costs_since` → `sumCostsSince`, `retry_async` → `retryAsync`).
 */
export * from './database';
export * from './retry';
export * from './bulk';
export { MIGRATIONS } from './migrations';
export type { Migration } from './migrations';
export { openStore } from './open-store';
export { StorageDataSource, DATA_QUERY_MAX_ROWS } from './storage-data-source';
export * from './types';
export * from './repositories';
export * from './aggregators';
