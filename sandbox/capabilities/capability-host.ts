import { ErrorCodes, isRimuruError, SandboxError } from '../../kernel/core/errors';
import type { PluginContributes, PluginPermissions } from '../../sdk/src/manifest';
import { PermissionGate } from '../permissions';
import { badRequest, capabilityFailed } from './capability-errors';
import { resolveCapabilityLimits } from './capability-limits';
import type { Capability, CapabilityContext, MethodHandler } from './capability-method';
import type { CapabilityServices } from './capability-services';
import { createDataCapability } from './data';
import { createEnvCapability } from './env';
import { createExecCapability } from './exec';
import { createFsCapability } from './fs';
import { FsObservationRecorder, type FsObservation } from './fs-observations';
import { createHooksCapability } from './hooks';
import { createHttpCapability } from './http';
import { createKvCapability } from './kv';
import { createLogCapability } from './log';
import { createSqliteCapability } from './sqlite';
import { createWsCapability } from './ws';

/**
 * What the isolate host calls for every `__rimuruHostCall(capability, method, argsJson)`.
 * Resolves to the result as JSON (`null` for void); rejects with a `RimuruError`.
 */
export type HostCallHandler = (capability: string, method: string, argsJson: string) => Promise<string>;

export interface CapabilityHost {
  call: HostCallHandler;
  /**
   * Runs `work` (one plugin call) while recording the files and directories its capability
   * calls looked at; `notKept` says why they cannot stand for the answer (a call to another
   * capability, a write, a symlink, something modified just now). One recording at a time.
   */
  observe<T>(work: () => Promise<T>, nowMs?: number): Promise<{ value: T } & ({ observations: FsObservation[] } | { notKept: string })>;
  /** Kills children, closes sockets and database handles, aborts fetches; later calls fail with E2008. */
  dispose(): Promise<void>;
}

/** The manifest facts the host needs about the plugin it serves. */
export interface CapabilityPlugin {
  name: string;
  permissions: PluginPermissions;
  contributes: PluginContributes;
}

/**
 * Builds the capabilities of one plugin. Every call is decoded, validated against the
 * method's schema, checked by the plugin's permission gate, and carried out within the
 * host's limits; anything thrown that is not already a `RimuruError` becomes E2009 naming
 * the plugin and the method.
 */
export function createCapabilityHost(plugin: CapabilityPlugin, services: CapabilityServices): CapabilityHost {
  const limits = resolveCapabilityLimits(services.limits);
  const abort = new AbortController();
  const context: CapabilityContext = {
    plugin: plugin.name,
    contributes: plugin.contributes,
    gate: new PermissionGate({ plugin: plugin.name, permissions: plugin.permissions, env: services.env, homeDir: services.homeDir }),
    services,
    limits,
    signal: abort.signal,
    recording: { recorder: null },
  };
  const capabilities = new Map<string, Capability>([
    ['fs', createFsCapability(context)],
    ['sqlite', createSqliteCapability(context)],
    ['http', createHttpCapability(context)],
    ['exec', createExecCapability(context)],
    ['ws', createWsCapability(context)],
    ['env', createEnvCapability(context)],
    ['kv', createKvCapability(context)],
    ['data', createDataCapability(context)],
    ['hooks', createHooksCapability(context)],
    ['log', createLogCapability(context)],
  ]);
  let disposed = false;

  function handlerOf(capability: string, methodName: string, where: string): MethodHandler {
    const methods = capabilities.get(capability)?.methods;
    if (methods === undefined) throw badRequest(plugin.name, where, `there is no capability "${capability}"`);
    // Own properties only: `toString` or `__proto__` must not reach Object.prototype.
    if (!Object.prototype.hasOwnProperty.call(methods, methodName)) {
      throw badRequest(plugin.name, where, `capability "${capability}" has no method "${methodName}"`);
    }
    return methods[methodName];
  }

  return {
    async call(capability, methodName, argsJson) {
      const where = `${String(capability)}.${String(methodName)}`;
      if (disposed) {
        throw new SandboxError(ErrorCodes.SANDBOX_DISPOSED, `plugin "${plugin.name}" called ${where} after it was stopped`, {
          details: { plugin: plugin.name, capability: where },
        });
      }
      const handler = handlerOf(capability, methodName, where);
      // The environment is fixed for the kernel's life and logging changes nothing: only the
      // file system can be re-checked by a stat.
      if (capability !== 'fs' && capability !== 'env' && capability !== 'log') context.recording.recorder?.opaque(`called ${where}`);
      if (typeof argsJson !== 'string') throw badRequest(plugin.name, where, 'arguments must be a JSON string');
      if (argsJson.length > limits.maxArgsBytes) {
        throw badRequest(plugin.name, where, `arguments are larger than ${limits.maxArgsBytes} bytes`);
      }
      let args: unknown;
      try {
        args = JSON.parse(argsJson);
      } catch {
        throw badRequest(plugin.name, where, 'arguments are not valid JSON');
      }
      try {
        const result = await handler.invoke(args, where);
        return JSON.stringify(result ?? null);
      } catch (error) {
        if (isRimuruError(error)) throw error;
        throw capabilityFailed(plugin.name, where, error);
      }
    },

    async observe(work, nowMs) {
      if (context.recording.recorder !== null) throw new Error(`plugin "${plugin.name}": a recording is already running`);
      const recorder = new FsObservationRecorder();
      context.recording.recorder = recorder;
      try {
        const value = await work();
        return { value, ...recorder.result(nowMs ?? Date.now()) };
      } finally {
        context.recording.recorder = null;
      }
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      abort.abort();
      await Promise.allSettled([...capabilities.values()].map((capability) => capability.dispose?.()));
    },
  };
}
