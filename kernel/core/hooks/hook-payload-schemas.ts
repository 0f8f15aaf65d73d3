import { z } from 'zod';
import type { HookPayloads } from '../../../sdk/src/hooks';

/**
 * Zod twins of the built-in payload types. A `Modified{data}` from a plugin replaces the
 * payload that typed host code receives back from `emitSeries`, so for built-in hooks the
 * data must still be a valid payload; custom hooks carry whatever their emitter defines.
 * The mapped type makes the compiler flag any drift from `HookPayloads`.
 */
export const hookPayloadSchemas: { [K in keyof HookPayloads]: z.ZodType<HookPayloads[K]> } = {
  SessionStart: z.object({
    sessionId: z.string(),
    agentType: z.string(),
    projectPath: z.string().optional(),
    startedAt: z.string(),
  }),
  SessionEnd: z.object({
    sessionId: z.string(),
    agentType: z.string(),
    endedAt: z.string(),
    status: z.string(),
    costUsd: z.number().optional(),
  }),
  CostThreshold: z.object({
    budget: z.string(),
    period: z.string(),
    limitUsd: z.number(),
    spentUsd: z.number(),
    threshold: z.number(),
    projectedUsd: z.number().optional(),
  }),
  MetricsExport: z.object({ collectedAt: z.string(), metrics: z.record(z.string(), z.number()) }),
  CostRecorded: z.object({ sessionId: z.string(), agentType: z.string(), model: z.string(), costUsd: z.number() }),
  AgentDiscovered: z.object({ agentType: z.string(), version: z.string().optional(), paths: z.array(z.string()) }),
  PluginLoaded: z.object({ plugin: z.string(), version: z.string() }),
  PluginUnloaded: z.object({ plugin: z.string(), reason: z.string().optional() }),
  SyncComplete: z.object({ provider: z.string(), models: z.number() }),
  KernelReady: z.object({ plugins: z.number(), running: z.number() }),
  KernelShutdown: z.object({ reason: z.string() }),
  Error: z.object({ source: z.string(), code: z.string(), message: z.string() }),
};

/** The schema a Modified payload must satisfy, or `undefined` for custom hooks. */
export function payloadSchemaFor(hook: string): z.ZodType | undefined {
  return Object.prototype.hasOwnProperty.call(hookPayloadSchemas, hook)
    ? hookPayloadSchemas[hook as keyof HookPayloads]
    : undefined;
}
