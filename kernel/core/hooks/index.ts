export { HookBus, DEFAULT_HOOK_TIMEOUT_MS } from './hook-bus';
export type { HookBusOptions, HookBusStats, HookAbort, SeriesEmitResult, ParallelEmitResult } from './hook-bus';
export type { HookHandler, HookOwner } from './hook-handler';
export { HOST_OWNER } from './hook-handler';
export type { HookExecution, HookExecutionRecorder, HookExecutionResult } from './hook-execution';
export { MemoryHookExecutionRecorder, DEFAULT_RECORDER_CAPACITY } from './memory-hook-execution-recorder';
export { hookResultSchema, checkHookResult } from './hook-result-schema';
export { hookPayloadSchemas } from './hook-payload-schemas';
export { MAX_HOOK_TIMEOUT_MS } from './hook-handler-schema';
