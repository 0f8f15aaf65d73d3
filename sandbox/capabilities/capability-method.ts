import type { z } from 'zod';
import type { PluginContributes } from '../../sdk/src/manifest';
import type { PermissionGate } from '../permissions';
import { badRequest } from './capability-errors';
import type { CapabilityLimits } from './capability-limits';
import type { CapabilityServices } from './capability-services';
import type { FsObservationRecorder } from './fs-observations';

/** What every capability of one plugin is built with. */
export interface CapabilityContext {
  plugin: string;
  contributes: PluginContributes;
  gate: PermissionGate;
  services: CapabilityServices;
  limits: CapabilityLimits;
  /** Aborted when the host is disposed: long waits (fetch, ws.receive) listen to it. */
  signal: AbortSignal;
  /** While the host records what a plugin call depends on (see `CapabilityHost.observe`). */
  recording: { recorder: FsObservationRecorder | null };
}

/** One method of a capability, with its argument schema folded in so the host needs no generics. */
export interface MethodHandler {
  invoke(rawArgs: unknown, where: string): Promise<unknown>;
}

/** A capability: its methods by name and what to release when the plugin stops. */
export interface Capability {
  methods: Record<string, MethodHandler>;
  dispose?(): Promise<void>;
}

/** Binds a zod schema to a method body: the body only ever sees validated arguments. */
export function method<S extends z.ZodType>(
  plugin: string,
  schema: S,
  run: (args: z.output<S>) => Promise<unknown> | unknown,
): MethodHandler {
  return {
    async invoke(rawArgs, where) {
      const parsed = schema.safeParse(rawArgs);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'args'}: ${issue.message}`)
          .join('; ');
        throw badRequest(plugin, where, issues);
      }
      return run(parsed.data);
    },
  };
}
