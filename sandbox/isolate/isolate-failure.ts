import { ErrorCodes, SandboxError } from '../../kernel/core/errors';
import type { SandboxLimits } from './limits';

/**
 * Turns what isolated-vm threw while running plugin code into the limit the plugin broke.
 *
 * isolated-vm reports these only as message texts (`Script execution timed out.`, `Isolate was
 * disposed during execution due to memory limit`), so matching them is the one way to tell them
 * apart; an unrecognised failure is reported as the isolate dying, never as plugin code throwing,
 * because plugin throws are caught inside the isolate and arrive as a normal reply.
 */
export function isolateFailure(plugin: string, where: string, limits: SandboxLimits, cause: unknown): SandboxError {
  const text = causeText(cause);
  const details = { plugin, call: where, limits };
  if (/memory limit/i.test(text)) {
    return new SandboxError(
      ErrorCodes.SANDBOX_MEMORY_LIMIT,
      `Plugin ${plugin} exceeded its memory limit of ${limits.memoryMb} MB during ${where}; its isolate was disposed`,
      { cause, details },
    );
  }
  if (/timed out/i.test(text)) {
    return cpuTimeout(plugin, where, limits, cause);
  }
  return new SandboxError(ErrorCodes.SANDBOX_DISPOSED, `Plugin ${plugin}: its isolate failed during ${where}: ${text}`, {
    cause,
    details,
  });
}

/**
 * The message of an error isolated-vm raised. Not `instanceof Error`: isolated-vm builds its
 * errors in the Node main realm, which is not the realm of code run under jest or `vm`.
 */
export function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause !== null && typeof cause === 'object') {
    const { name, message } = cause as { name?: unknown; message?: unknown };
    if (typeof message === 'string') return typeof name === 'string' && name !== 'Error' ? `${name}: ${message}` : message;
  }
  return String(cause);
}

/** One slice of plugin code ran longer than `callTimeoutMs` of CPU. */
export function cpuTimeout(plugin: string, where: string, limits: SandboxLimits, cause?: unknown): SandboxError {
  return new SandboxError(
    ErrorCodes.SANDBOX_CPU_TIMEOUT,
    `Plugin ${plugin} ran longer than its CPU limit of ${limits.callTimeoutMs} ms during ${where} (an endless loop?); its isolate was disposed`,
    { cause, details: { plugin, call: where, limits } },
  );
}

/** A call did not settle within `wallTimeoutMs`, CPU or not (e.g. awaiting a host call that never returns). */
export function wallTimeout(plugin: string, where: string, limits: SandboxLimits): SandboxError {
  return new SandboxError(
    ErrorCodes.SANDBOX_WALL_TIMEOUT,
    `Plugin ${plugin} did not answer ${where} within its wall-clock deadline of ${limits.wallTimeoutMs} ms; its isolate was disposed`,
    { details: { plugin, call: where, limits } },
  );
}

/** A call returned more than `maxResultBytes`. */
export function resultTooLarge(plugin: string, where: string, limits: SandboxLimits, size: number, unit: string): SandboxError {
  return new SandboxError(
    ErrorCodes.SANDBOX_RESULT_TOO_LARGE,
    `Plugin ${plugin} returned ${size} ${unit} from ${where}, more than its limit of ${limits.maxResultBytes} bytes; the result was refused and its isolate disposed`,
    { details: { plugin, call: where, size, limits } },
  );
}

/** Every call after the isolate is gone. */
export function sandboxDisposed(plugin: string, where: string, reason: string): SandboxError {
  return new SandboxError(ErrorCodes.SANDBOX_DISPOSED, `Plugin ${plugin} cannot run ${where}: its sandbox was disposed (${reason})`, {
    details: { plugin, call: where, reason },
  });
}

/** The bundle cannot be loaded as a Rimuru plugin. */
export function badBundle(plugin: string, problem: string, cause?: unknown): SandboxError {
  return new SandboxError(ErrorCodes.SANDBOX_BAD_BUNDLE, `Plugin ${plugin}: its bundle cannot be loaded: ${problem}`, {
    cause,
    details: { plugin },
  });
}
