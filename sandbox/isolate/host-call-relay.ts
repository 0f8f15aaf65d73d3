import ivm from 'isolated-vm';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, errorMessage, isRimuruError, RimuruError, type SandboxError } from '../../kernel/core/errors';
import type { HostCallHandler } from '../capabilities/capability-host';
import type { WireError } from '../../sdk/src/protocol';
import { isolateFailure } from './isolate-failure';
import type { SandboxLimits } from './limits';

/** What the isolate's raw host-call function passes; checked again here, the bridge is not trusted. */
const hostCallSchema = z.tuple([
  z.number().int().positive(),
  z.string().min(1).max(64),
  z.string().min(1).max(64),
  z.string(),
]);

/** Host errors remembered so a plugin that lets one through can be answered with the original. */
const REMEMBERED_HOST_ERRORS = 32;

export interface HostCallRelayOptions {
  plugin: string;
  handler: HostCallHandler;
  limits: SandboxLimits;
  logger?: Logger;
  /** The isolate broke a limit while running code resumed by a capability result. */
  onFatal(error: SandboxError): void;
  /** True once the isolate is gone: late results are dropped, not delivered. */
  isGone(): boolean;
}

/**
 * The host end of `__rimuruHostCall`. The isolate calls a raw callback in isolated-vm's
 * *ignored* mode with a call id, so the isolate thread never blocks on the host; the result
 * comes back later through `settle(id, ok, payload)`, a function of the bridge the host holds a
 * Reference to. (An async-mode Callback cannot return a host promise: isolated-vm tries to copy
 * the promise itself and throws.)
 *
 * Resuming plugin code is itself a run of plugin code, so `settle` is applied with the CPU
 * timeout: an endless loop after an awaited capability call is caught like any other.
 */
export class HostCallRelay {
  /** The function the bridge receives as `rawHostCall`; in the isolate it is a plain function. */
  readonly callback: ivm.Callback<(id: unknown, capability: unknown, method: unknown, argsJson: unknown) => void>;
  private settleRef?: ivm.Reference<(id: number, ok: boolean, payload: string) => void>;
  private readonly hostErrors = new Map<string, RimuruError>();
  private pending = 0;

  constructor(private readonly options: HostCallRelayOptions) {
    this.callback = new ivm.Callback(
      (id: unknown, capability: unknown, method: unknown, argsJson: unknown) => {
        this.receive([id, capability, method, argsJson]);
      },
      { ignored: true },
    );
  }

  /** Connects the relay to the bridge's `settle`; calls received before this cannot be answered. */
  attach(settle: ivm.Reference<(id: number, ok: boolean, payload: string) => void>): void {
    this.settleRef = settle;
  }

  /** Capability calls the host is still working on. */
  get pendingCalls(): number {
    return this.pending;
  }

  /**
   * The host's own error behind a plugin's rejection, when the plugin let a capability error
   * through: same code, and the plugin's message carries the host's message. Only errors this
   * relay actually produced qualify, so a plugin cannot pass off its own text as a host verdict.
   */
  hostErrorBehind(code: string, message: string): RimuruError | undefined {
    for (const error of this.hostErrors.values()) {
      if (error.code === code && error.message.length > 0 && message.includes(error.message)) return error;
    }
    return undefined;
  }

  private receive(raw: unknown[]): void {
    const parsed = hostCallSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw[0] === 'number' ? raw[0] : undefined;
      this.options.logger?.warn({ plugin: this.options.plugin }, 'malformed host call from the isolate');
      if (id !== undefined) this.settle(id, false, wire(ErrorCodes.CAPABILITY_BAD_REQUEST, 'malformed capability call'), 'a malformed call');
      return;
    }
    const [id, capability, method, argsJson] = parsed.data;
    const where = `${capability}.${method}`;
    this.pending++;
    // `then` rather than a direct call: a handler that throws synchronously becomes a rejection.
    Promise.resolve()
      .then(() => this.options.handler(capability, method, argsJson))
      .then(
        (result: unknown) => {
          if (typeof result !== 'string') {
            return this.fail(id, where, new RimuruError(ErrorCodes.CAPABILITY_FAILED, `capability ${where} returned no JSON text`));
          }
          this.settle(id, true, result, where);
        },
        (error: unknown) => this.fail(id, where, error),
      )
      .finally(() => {
        this.pending--;
      });
  }

  private fail(id: number, where: string, error: unknown): void {
    const known = isRimuruError(error)
      ? error
      : new RimuruError(ErrorCodes.CAPABILITY_FAILED, `Plugin ${this.options.plugin}: capability ${where} failed: ${errorMessage(error)}`, {
          cause: error,
        });
    this.remember(known);
    this.options.logger?.debug({ plugin: this.options.plugin, capability: where, code: known.code }, known.message);
    this.settle(id, false, wire(known.code, known.message), where);
  }

  private remember(error: RimuruError): void {
    this.hostErrors.delete(`${error.code}\u0000${error.message}`);
    this.hostErrors.set(`${error.code}\u0000${error.message}`, error);
    if (this.hostErrors.size > REMEMBERED_HOST_ERRORS) {
      const oldest = this.hostErrors.keys().next().value;
      if (oldest !== undefined) this.hostErrors.delete(oldest);
    }
  }

  private settle(id: number, ok: boolean, payload: string, where: string): void {
    const settle = this.settleRef;
    if (!settle || this.options.isGone()) return;
    settle
      .apply(undefined, [id, ok, payload], { arguments: { copy: true }, timeout: this.options.limits.callTimeoutMs })
      .catch((error: unknown) => {
        if (this.options.isGone()) return;
        this.options.onFatal(
          isolateFailure(this.options.plugin, `the code that ran after capability call ${where} returned`, this.options.limits, error),
        );
      });
  }
}

function wire(code: string, message: string): string {
  return JSON.stringify({ code, message } satisfies WireError);
}
