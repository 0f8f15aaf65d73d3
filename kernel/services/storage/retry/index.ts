export { RetryPresets, retryConfigSchema, retryDelayMs } from './retry-config';
export type { RetryConfig, RetryPresetName } from './retry-config';
export { retryAsync } from './retry-async';
export type { RetryOptions } from './retry-async';
export { isTransientDatabaseError, isConnectionFailure } from './transient-database-error';
