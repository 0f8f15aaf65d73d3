export { createCapabilityHost } from './capability-host';
export type { CapabilityHost, CapabilityPlugin, HostCallHandler } from './capability-host';
export type { CapabilityServices, DataSource } from './capability-services';
export { DEFAULT_CAPABILITY_LIMITS, resolveCapabilityLimits } from './capability-limits';
export type { CapabilityLimits } from './capability-limits';
export { CapabilityError } from './capability-errors';
