import { errorMessage, ErrorCodes, SandboxError } from '../../kernel/core/errors';

/** A capability call that was malformed, or that failed while the host carried it out. */
export class CapabilityError extends SandboxError {}

/** The plugin sent something the capability cannot accept (unknown method, invalid args). */
export function badRequest(plugin: string, where: string, reason: string): CapabilityError {
  return new CapabilityError(ErrorCodes.CAPABILITY_BAD_REQUEST, `plugin "${plugin}" called ${where} wrongly: ${reason}`, {
    details: { plugin, capability: where },
  });
}

/** The request was allowed but the host could not carry it out (missing file, refused connection…). */
export function capabilityFailed(plugin: string, where: string, cause: unknown): CapabilityError {
  return new CapabilityError(ErrorCodes.CAPABILITY_FAILED, `${where} failed for plugin "${plugin}": ${errorMessage(cause)}`, {
    cause,
    details: { plugin, capability: where },
  });
}

/** The answer would exceed a host limit; the message says which and how to ask for less. */
export function resultTooLarge(plugin: string, where: string, reason: string): CapabilityError {
  return new CapabilityError(ErrorCodes.SANDBOX_RESULT_TOO_LARGE, `${where} for plugin "${plugin}": ${reason}`, {
    details: { plugin, capability: where },
  });
}

/** The plugin was stopped while this call was on its way; nothing was started. */
export function disposedDuring(plugin: string, where: string): CapabilityError {
  return new CapabilityError(ErrorCodes.SANDBOX_DISPOSED, `plugin "${plugin}" was stopped before ${where} could start`, {
    details: { plugin, capability: where },
  });
}
