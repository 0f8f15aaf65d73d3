import type { Logger } from 'pino';
import { isHookName, type HookName, type HookPayload } from '../../../sdk/src/hooks';
import type { HookError } from '../errors';
import type { HookHandler } from './hook-handler';
import type { HookExecution, HookExecutionRecorder, HookExecutionResult } from './hook-execution';
import { hookHandlerFieldsSchema, hookTimeoutMsSchema } from './hook-handler-schema';
import { payloadSchemaFor } from './hook-payload-schemas';
import { hookHandlerFailedError, invalidHandlerError, unknownHookError } from './hook-errors';
import { runHookHandler, type HandlerOutcome } from './run-hook-handler';

export const DEFAULT_HOOK_TIMEOUT_MS = 5000;

export interface HookBusOptions {
  /** Deadline for handlers without their own `timeoutMs` (config `hooks.defaultTimeoutMs`). */
  defaultTimeoutMs?: number;
  recorder?: HookExecutionRecorder;
  /** Handler failures and recorder failures are logged here at `warn`. */
  logger?: Pick<Logger, 'warn'>;
  /** Epoch milliseconds, for `startedAt`; injectable so records are reproducible in tests. */
  now?: () => number;
}

/** Who stopped a chain and why. */
export interface HookAbort {
  readonly reason: string;
  readonly handlerId: string;
  readonly owner: string;
}

export interface SeriesEmitResult<P> {
  /** The payload after every `Modified` along the chain (the input if none). */
  readonly payload: P;
  /** Set when a handler returned `Abort`; the handlers after it did not run. */
  readonly aborted?: HookAbort;
  /** One record per handler that ran, in run order. */
  readonly executions: readonly HookExecution[];
}

export interface ParallelEmitResult {
  /** Every `Abort` returned, in priority order. In parallel nothing is stopped by them. */
  readonly aborts: readonly HookAbort[];
  /** One record per handler, in priority order (not completion order). */
  readonly executions: readonly HookExecution[];
}

/** Cheap counters for benchmarks and `status` output. */
export interface HookBusStats {
  /** emitSeries/emitParallel calls that dispatched (unknown hooks excluded). */
  emits: number;
  /** Handler runs started. */
  handlerRuns: number;
  /** Runs that threw, rejected or returned something invalid. */
  errors: number;
  timeouts: number;
}

interface Registration {
  readonly handler: HookHandler;
  readonly seq: number;
}

/**
 * The kernel's hook bus. One method per dispatch semantics, like Rollup's PluginDriver:
 * `emitSeries` threads a payload through handlers in priority order and may be aborted;
 * `emitParallel` notifies every handler at once. A handler that fails in any way is
 * recorded and logged; it never stops the handlers after it.
 */
export class HookBus {
  private readonly byHook = new Map<HookName, Registration[]>();
  private readonly defaultTimeoutMs: number;
  private readonly recorder: HookExecutionRecorder | undefined;
  private readonly logger: Pick<Logger, 'warn'> | undefined;
  private readonly now: () => number;
  private seq = 0;
  private readonly counters: HookBusStats = { emits: 0, handlerRuns: 0, errors: 0, timeouts: 0 };

  constructor(options: HookBusOptions = {}) {
    const timeout = hookTimeoutMsSchema.safeParse(options.defaultTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS);
    if (!timeout.success) {
      throw invalidHandlerError(`hooks.defaultTimeoutMs must be a positive integer of milliseconds`, {
        defaultTimeoutMs: options.defaultTimeoutMs,
      });
    }
    this.defaultTimeoutMs = timeout.data;
    this.recorder = options.recorder;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  /**
   * Adds a handler and returns the function that removes it (idempotent). Rejects unknown
   * hook names (E5003) and malformed handlers or a second handler with the same
   * owner and id on the same hook (E5004).
   */
  register<H extends HookName>(handler: HookHandler<H>): () => void {
    if (typeof handler.hook !== 'string' || !isHookName(handler.hook)) throw unknownHookError(String(handler.hook));
    const fields = hookHandlerFieldsSchema.safeParse(handler);
    if (!fields.success) {
      throw invalidHandlerError(fields.error.issues.map((i) => `${i.path.join('.') || 'handler'}: ${i.message}`).join('; '), {
        hook: handler.hook,
        handlerId: handler.id,
        owner: handler.owner,
      });
    }
    const list = this.byHook.get(handler.hook) ?? [];
    if (list.some((r) => r.handler.owner === handler.owner && r.handler.id === handler.id)) {
      throw invalidHandlerError(`"${handler.owner}" already has a handler "${handler.id}" on hook "${handler.hook}"`, {
        hook: handler.hook,
        handlerId: handler.id,
        owner: handler.owner,
      });
    }
    // HookHandler<H> → HookHandler: the bus only passes each handler payloads of its own hook.
    const registration: Registration = { handler: handler as HookHandler, seq: this.seq++ };
    // Insert after every handler of equal or lower priority: ties keep registration order.
    const at = list.findIndex((r) => r.handler.priority > handler.priority);
    if (at === -1) list.push(registration);
    else list.splice(at, 0, registration);
    this.byHook.set(handler.hook, list);

    return () => this.remove(handler.hook, (r) => r === registration);
  }

  /** Removes every handler of one owner (a plugin being stopped); returns how many. */
  unregisterOwner(owner: string): number {
    let removed = 0;
    for (const hook of [...this.byHook.keys()]) removed += this.remove(hook, (r) => r.handler.owner === owner);
    return removed;
  }

  /** The handlers of a hook, in the order they run. */
  handlers(hook: HookName): readonly HookHandler[] {
    return (this.byHook.get(hook) ?? []).map((r) => r.handler);
  }

  /**
   * Runs handlers one after another in priority order. `Modified` replaces the payload for
   * the handlers after it (for built-in hooks only if the data is still a valid payload of
   * that hook, else the run counts as a failure); `Abort` stops the chain; `Continue` and
   * `Skip` go on. Handlers registered or removed during the emit do not affect it.
   */
  async emitSeries<H extends HookName>(hook: H, payload: HookPayload<H>): Promise<SeriesEmitResult<HookPayload<H>>> {
    const registrations = this.snapshot(hook);
    const payloadSchema = payloadSchemaFor(hook);
    const executions: HookExecution[] = [];
    let current: HookPayload<H> = payload;

    for (const { handler } of registrations) {
      const run = await this.run(hook, handler, current);
      let outcome = run.outcome;
      if (outcome.kind === 'result' && outcome.result.type === 'modified' && payloadSchema) {
        const checked = payloadSchema.safeParse(outcome.result.data);
        if (!checked.success) {
          outcome = {
            kind: 'error',
            error: hookHandlerFailedError(hook, handler, `returned Modified data that is not a valid ${hook} payload`, checked.error),
          };
        }
      }
      executions.push(this.finish(hook, handler, run.startedAtMs, run.durationMs, outcome));

      if (outcome.kind !== 'result') continue;
      const result = outcome.result;
      if (result.type === 'modified') {
        // Validated above for built-in hooks; custom hooks' payloads are `unknown` already.
        current = result.data as HookPayload<H>;
      } else if (result.type === 'abort') {
        return { payload: current, aborted: { reason: result.reason, handlerId: handler.id, owner: handler.owner }, executions };
      }
    }
    return { payload: current, executions };
  }

  /**
   * Starts every handler at once with the same payload, each under its own deadline, and
   * waits for all. `Modified` is recorded but its data is ignored (there is no "next"
   * handler to pass it to); `Abort` is reported but stops nothing.
   */
  async emitParallel<H extends HookName>(hook: H, payload: HookPayload<H>): Promise<ParallelEmitResult> {
    const registrations = this.snapshot(hook);
    const executions = await Promise.all(
      registrations.map(async ({ handler }) => {
        const run = await this.run(hook, handler, payload);
        return { handler, outcome: run.outcome, execution: this.finish(hook, handler, run.startedAtMs, run.durationMs, run.outcome) };
      }),
    );
    const aborts: HookAbort[] = [];
    for (const { handler, outcome } of executions) {
      if (outcome.kind === 'result' && outcome.result.type === 'abort') {
        aborts.push({ reason: outcome.result.reason, handlerId: handler.id, owner: handler.owner });
      }
    }
    return { aborts, executions: executions.map((e) => e.execution) };
  }

  stats(): HookBusStats {
    return { ...this.counters };
  }

  private snapshot(hook: HookName): Registration[] {
    if (typeof hook !== 'string' || !isHookName(hook)) throw unknownHookError(String(hook));
    this.counters.emits++;
    return [...(this.byHook.get(hook) ?? [])];
  }

  private run(hook: HookName, handler: HookHandler, payload: unknown): ReturnType<typeof runHookHandler> {
    this.counters.handlerRuns++;
    return runHookHandler(hook, handler, payload, handler.timeoutMs ?? this.defaultTimeoutMs, this.now);
  }

  private finish(hook: HookName, handler: HookHandler, startedAtMs: number, durationMs: number, outcome: HandlerOutcome): HookExecution {
    const base = { hook, handlerId: handler.id, owner: handler.owner, startedAt: new Date(startedAtMs).toISOString(), durationMs };
    let execution: HookExecution;
    if (outcome.kind === 'result') {
      execution = { ...base, result: outcome.result.type };
    } else {
      if (outcome.kind === 'timeout') this.counters.timeouts++;
      else this.counters.errors++;
      this.logger?.warn({ err: outcome.error, hook, handlerId: handler.id, owner: handler.owner }, outcome.error.message);
      execution = { ...base, result: outcome.kind satisfies HookExecutionResult, error: errorSummary(outcome.error) };
    }
    this.record(execution);
    return execution;
  }

  private record(execution: HookExecution): void {
    if (!this.recorder) return;
    const onFailure = (err: unknown): void => {
      this.logger?.warn({ err, hook: execution.hook, handlerId: execution.handlerId }, 'Could not record a hook execution');
    };
    try {
      const pending = this.recorder.record(execution);
      if (pending) pending.catch(onFailure);
    } catch (err) {
      onFailure(err);
    }
  }

  private remove(hook: HookName, match: (r: Registration) => boolean): number {
    const list = this.byHook.get(hook);
    if (!list) return 0;
    const kept = list.filter((r) => !match(r));
    if (kept.length === 0) this.byHook.delete(hook);
    else this.byHook.set(hook, kept);
    return list.length - kept.length;
  }
}

function errorSummary(error: HookError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}
