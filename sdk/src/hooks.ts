/**
 * Hook names, payloads and results shared by the host hook bus and plugin handlers.
 */

/** Hooks the kernel and its services emit. Custom hooks are written `custom:<name>`. */
export const BUILTIN_HOOKS = [
  'SessionStart',
  'SessionEnd',
  'CostThreshold',
  'MetricsExport',
  // lifecycle
  'CostRecorded',
  'AgentDiscovered',
  'PluginLoaded',
  'PluginUnloaded',
  'SyncComplete',
  'KernelReady',
  'KernelShutdown',
  'Error',
] as const;

export type BuiltinHookName = (typeof BUILTIN_HOOKS)[number];
/** A custom hook: `custom:<name>`, emitted by plugins through the `hooks` capability. */
export type CustomHookName = `custom:${string}`;
export type HookName = BuiltinHookName | CustomHookName;

/** Builds the name of a custom hook. */
export function Custom(name: string): CustomHookName {
  return `custom:${name}`;
}

export function isHookName(value: string): value is HookName {
  return (BUILTIN_HOOKS as readonly string[]).includes(value) || /^custom:[A-Za-z0-9_.:-]{1,100}$/.test(value);
}

/** Payloads of the built-in hooks. Fields are plain JSON: they cross the sandbox boundary. */
export interface HookPayloads {
  SessionStart: { sessionId: string; agentType: string; projectPath?: string; startedAt: string };
  SessionEnd: { sessionId: string; agentType: string; endedAt: string; status: string; costUsd?: number };
  CostThreshold: {
    budget: string;
    period: string;
    limitUsd: number;
    spentUsd: number;
    threshold: number;
    projectedUsd?: number;
  };
  MetricsExport: { collectedAt: string; metrics: Record<string, number> };
  CostRecorded: { sessionId: string; agentType: string; model: string; costUsd: number };
  AgentDiscovered: { agentType: string; version?: string; paths: string[] };
  PluginLoaded: { plugin: string; version: string };
  PluginUnloaded: { plugin: string; reason?: string };
  SyncComplete: { provider: string; models: number };
  KernelReady: { plugins: number; running: number };
  KernelShutdown: { reason: string };
  Error: { source: string; code: string; message: string };
}

export type HookPayload<H extends HookName> = H extends keyof HookPayloads ? HookPayloads[H] : unknown;

/** What a hook handler returns. */
export type HookResult =
  | { type: 'continue' }
  | { type: 'abort'; reason: string }
  | { type: 'modified'; data: unknown }
  | { type: 'skip' };

/** Let the next handler run with the same data. */
export const Continue = (): HookResult => ({ type: 'continue' });
/** Stop the chain; the emitter learns why. */
export const Abort = (reason: string): HookResult => ({ type: 'abort', reason });
/** Replace the payload for the handlers after this one. */
export const Modified = (data: unknown): HookResult => ({ type: 'modified', data });
/** This handler does not apply; carry on. */
export const Skip = (): HookResult => ({ type: 'skip' });
