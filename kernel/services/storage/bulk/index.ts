export { SQLITE_UPSERT_SQL, sqliteUpsertRows, upsertUsageRecords } from './upsert-usage-records';
export type { UpsertUsageOptions, UpsertUsageResult, UsageConflictPolicy } from './upsert-usage-records';
export { toUsageRows, tokenTotal } from './usage-record-input';
export type { UsageRecordInput, UsageRow } from './usage-record-input';
