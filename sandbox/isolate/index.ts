/**
 * The isolate host: one isolated-vm isolate per plugin, its limits, and the bridge its
 * capability calls cross.
 */
export { PluginSandbox } from './plugin-sandbox';
export type { BatchCall, BatchSettled, FatalListener, LinesText, PluginSandboxOptions, SandboxStats } from './plugin-sandbox';
export { DEFAULT_LIMITS, LIMIT_CAPS, LIMIT_FLOORS, resolveLimits } from './limits';
export type { SandboxLimits } from './limits';
export type { HostCallHandler } from '../capabilities/capability-host';
