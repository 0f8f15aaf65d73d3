/** The kernel's own stores on the database: plugin kv, plugin states, hook executions. */
export { DatabaseKvStore, type DatabaseKvStoreOptions } from './database-kv-store';
export { DatabasePluginStateStore } from './database-plugin-state-store';
export { DatabaseHookExecutionRecorder, type DatabaseHookExecutionRecorderOptions } from './database-hook-execution-recorder';
