import { ErrorCodes, HookError, errorMessage } from '../errors';

interface HandlerRef {
  readonly id: string;
  readonly owner: string;
}

// Every hook error names the hook, the handler and who owns it, so a user reading one line
// of log knows which plugin to disable.
function who(handler: HandlerRef): string {
  return handler.owner === 'host' ? `host handler "${handler.id}"` : `handler "${handler.id}" of plugin "${handler.owner}"`;
}

function details(hook: string, handler: HandlerRef): Record<string, unknown> {
  return { hook, handlerId: handler.id, owner: handler.owner };
}

export function hookTimeoutError(hook: string, handler: HandlerRef, timeoutMs: number): HookError {
  return new HookError(
    ErrorCodes.HOOK_TIMEOUT,
    `Hook "${hook}": ${who(handler)} did not settle within ${timeoutMs} ms; its late result is ignored`,
    { details: { ...details(hook, handler), timeoutMs } },
  );
}

/** The handler threw, rejected, or returned something the bus cannot act on. */
export function hookHandlerFailedError(hook: string, handler: HandlerRef, problem: string, cause?: unknown): HookError {
  return new HookError(ErrorCodes.HOOK_HANDLER_FAILED, `Hook "${hook}": ${who(handler)} ${problem}`, {
    cause,
    details: details(hook, handler),
  });
}

export function hookThrewError(hook: string, handler: HandlerRef, thrown: unknown): HookError {
  return hookHandlerFailedError(hook, handler, `failed: ${errorMessage(thrown)}`, thrown);
}

export function unknownHookError(name: string): HookError {
  return new HookError(
    ErrorCodes.HOOK_UNKNOWN,
    `Unknown hook "${name}": use a built-in hook name or "custom:<name>" (letters, digits, _ . : -)`,
    { details: { hook: name } },
  );
}

export function invalidHandlerError(problem: string, details: Record<string, unknown>): HookError {
  return new HookError(ErrorCodes.HOOK_HANDLER_INVALID, `Cannot register hook handler: ${problem}`, { details });
}
