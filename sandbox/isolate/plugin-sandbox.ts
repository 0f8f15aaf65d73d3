import ivm from 'isolated-vm';
import type { Logger } from 'pino';
import { checkHookResult } from '../../kernel/core/hooks/hook-result-schema';
import { ErrorCodes, errorMessage, RimuruError, SandboxError } from '../../kernel/core/errors';
import type { HookResult } from '../../sdk/src/hooks';
import { BUNDLE_GLOBAL, HOST_CALL_GLOBAL, INVOKE_BATCH, LINES_PAYLOAD, type DispatchArgs, type DispatchMethod, type PluginDescription } from '../../sdk/src/protocol';
import type { HostCallHandler } from '../capabilities/capability-host';
import { BRIDGE_SOURCE } from './bridge-source';
import { HostCallRelay } from './host-call-relay';
import { badBundle, causeText, isolateFailure, resultTooLarge, sandboxDisposed, wallTimeout } from './isolate-failure';
import { resolveLimits, type SandboxLimits } from './limits';
import { bridgeReplySchema, pluginDescriptionSchema, readPluginThrow } from './plugin-reply';

/** Capability arguments the isolate may hand the host in one call; matches the capability host's own bound. */
const MAX_HOST_CALL_ARGS_CHARS = 24 * 1024 * 1024;
/** Capability calls one plugin may have waiting on the host at once. */
const MAX_PENDING_HOST_CALLS = 256;

export interface PluginSandboxOptions {
  pluginName: string;
  pluginVersion: string;
  /** The plugin's bundle: an esbuild IIFE defining `__rimuru_bundle__` (see sandbox/bundler). */
  bundleCode: string;
  limits: SandboxLimits;
  /** Answers the plugin's capability calls (see `createCapabilityHost`). */
  hostCall: HostCallHandler;
  /** The plugin's config section, handed to `activate`; must be JSON-serialisable. */
  config: unknown;
  logger?: Logger;
}

/** Resource use of one sandbox, as the isolate reports it. */
export interface SandboxStats {
  heapUsedBytes: number;
  heapLimitBytes: number;
  /** Memory outside the V8 heap that counts against the limit (large ArrayBuffers). */
  externalBytes: number;
  /** CPU time the isolate has spent running plugin code since it was created. */
  cpuTimeMs: number;
  /** Wall time the isolate has spent inside calls, including waits. */
  wallTimeMs: number;
  /** Host → plugin calls in flight. */
  pendingCalls: number;
  /** Plugin → host capability calls the host is still working on. */
  pendingHostCalls: number;
  disposed: boolean;
}

export type FatalListener = (error: SandboxError) => void;

type DispatchRef = ivm.Reference<(method: DispatchMethod, argsJson: string, payload?: string) => Promise<unknown>>;

/** Lines of text handed to a plugin method: joined by `\n`, and how many there are. */
export interface LinesText {
  text: string;
  count: number;
}

/** One call of {@link PluginSandbox.invokeBatch}. */
export interface BatchCall {
  method: string;
  args: unknown[];
  lines?: LinesText;
}

/** How one call of a batch ended: its value, or the error its own `invoke` would have thrown. */
export type BatchSettled = { value: unknown } | { error: unknown };
type SettleRef = ivm.Reference<(id: number, ok: boolean, payload: string) => void>;

/**
 * One plugin in its own isolate and context.
 *
 * The plugin sees one host function, `__rimuruHostCall`, which is a plain isolate function
 * closing over an isolated-vm Callback; it never sees a Reference, an ExternalCopy or the ivm
 * module. The host drives the plugin through References to the bridge's own functions.
 *
 * Limits: every run of plugin code (loading the bundle, a call, resuming after a capability call)
 * carries isolated-vm's CPU `timeout`; every call races a host-side wall deadline, because an
 * isolate timeout does not count time spent awaiting the host. Breaking any limit disposes the
 * isolate and fires {@link onFatal} once; from then on every call fails with E2008. A plugin that
 * merely throws fails that call with E2006 and keeps running.
 */
export class PluginSandbox {
  private readonly listeners = new Set<FatalListener>();
  private readonly inflight = new Set<(error: SandboxError) => void>();
  private dispatchRef?: DispatchRef;
  private described?: PluginDescription;
  private fatalError?: SandboxError;
  private goneReason?: string;
  private lastCpuNs = 0n;
  private lastWallNs = 0n;

  private constructor(
    private readonly options: PluginSandboxOptions,
    readonly limits: SandboxLimits,
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly relay: HostCallRelay,
  ) {}

  /**
   * Creates the isolate, installs the host bridge, evaluates the bundle and runs `describe`.
   * Rejects with a SandboxError (E2007 for a bundle that is not a Rimuru plugin, or the limit it
   * broke while loading); nothing is left running when it does.
   */
  static async start(options: PluginSandboxOptions): Promise<PluginSandbox> {
    const limits = resolveLimits(options.limits);
    let sandbox: PluginSandbox | undefined;
    const isolate = new ivm.Isolate({
      memoryLimit: limits.memoryMb,
      onCatastrophicError: (message) => {
        options.logger?.fatal({ plugin: options.pluginName, message }, 'isolated-vm lost control of an isolate');
        sandbox?.fatal(isolateFailure(options.pluginName, 'a catastrophic isolate error', limits, new Error(message)));
      },
    });
    try {
      const context = await isolate.createContext();
      const relay = new HostCallRelay({
        plugin: options.pluginName,
        handler: options.hostCall,
        limits,
        logger: options.logger,
        onFatal: (error) => sandbox?.fatal(error),
        isGone: () => sandbox === undefined || sandbox.disposed,
      });
      sandbox = new PluginSandbox(options, limits, isolate, context, relay);
      await sandbox.load();
      return sandbox;
    } catch (error) {
      sandbox?.dispose('it failed to start');
      if (!isolate.isDisposed) isolate.dispose();
      throw error instanceof RimuruError ? error : badBundle(options.pluginName, causeText(error), error);
    }
  }

  get pluginName(): string {
    return this.options.pluginName;
  }

  /** What the bundle says it implements, read by `describe` at start. */
  get description(): PluginDescription {
    if (!this.described) throw sandboxDisposed(this.pluginName, 'describe', 'it never started');
    return this.described;
  }

  /** True once the isolate is gone, by {@link dispose} or a broken limit. */
  get disposed(): boolean {
    return this.goneReason !== undefined;
  }

  /** The limit the plugin broke, when that is how it died. */
  get failure(): SandboxError | undefined {
    return this.fatalError;
  }

  /** Runs the plugin's `activate` with its identity and config. */
  async activate(): Promise<void> {
    await this.dispatch(
      'activate',
      { pluginName: this.options.pluginName, pluginVersion: this.options.pluginVersion, config: this.options.config ?? {} },
      'activate',
    );
  }

  /** Runs the plugin's `deactivate`; the isolate stays up until {@link dispose}. */
  async deactivate(): Promise<void> {
    await this.dispatch('deactivate', {}, 'deactivate');
  }

  /**
   * Calls one of the plugin's methods; the result is the method's return value after a JSON
   * round trip. `options.lines` become the first argument's `lines`: sent as one text beside
   * the JSON when the runtime understands it ({@link LINES_PAYLOAD}), else inside it.
   */
  async invoke<T = unknown>(method: string, args: unknown[] = [], options: { lines?: LinesText } = {}): Promise<T> {
    const where = `invoke(${method})`;
    const { lines } = options;
    if (lines === undefined) return this.parse(where, await this.dispatch('invoke', { method, args }, where)) as T;
    const [first, ...rest] = args;
    if (typeof first !== 'object' || first === null) throw new TypeError('invoke: lines need an object as the first argument');
    if (this.supports(LINES_PAYLOAD)) {
      return this.parse(where, await this.dispatch('invoke', { method, args, linesPayload: lines.count }, where, lines.text)) as T;
    }
    const withLines = { ...first, lines: lines.count === 0 ? [] : lines.text.split('\n') };
    return this.parse(where, await this.dispatch('invoke', { method, args: [withLines, ...rest] }, where)) as T;
  }

  /** True when the plugin's runtime named a protocol feature in `describe`. */
  /**
   * Several invokes in one crossing when the runtime can ({@link INVOKE_BATCH}), else one
   * after the other; each settles on its own, as its own `invoke` would (a failure of the
   * whole crossing — a broken limit, a dead isolate — settles them all with it). Rejects only
   * for a host mistake: lines given without an object argument to carry them.
   */
  async invokeBatch(calls: readonly BatchCall[]): Promise<BatchSettled[]> {
    if (calls.length === 0) return [];
    const settle = (work: Promise<unknown>): Promise<BatchSettled> => work.then((value) => ({ value }), (error: unknown) => ({ error }));
    if (!this.supports(INVOKE_BATCH) || !this.supports(LINES_PAYLOAD)) {
      const settled: BatchSettled[] = [];
      for (const call of calls) settled.push(await settle(this.invoke(call.method, call.args, call.lines === undefined ? {} : { lines: call.lines })));
      return settled;
    }
    const where = `invokeBatch(${calls.length} × ${calls[0]!.method})`;
    const texts: string[] = [];
    const wire = calls.map(({ method, args, lines }): DispatchArgs['invoke'] => {
      if (lines === undefined) return { method, args };
      if (typeof args[0] !== 'object' || args[0] === null) throw new TypeError('invokeBatch: lines need an object as the first argument');
      if (lines.count > 0) texts.push(lines.text);
      return { method, args, linesPayload: lines.count };
    });
    let reply: unknown;
    try {
      reply = this.parse(where, await this.dispatch('invokeBatch', { calls: wire }, where, texts.length === 0 ? undefined : texts.join('\n')));
    } catch (error) {
      return calls.map(() => ({ error }));
    }
    if (!Array.isArray(reply) || reply.length !== calls.length) {
      const error = new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName}: ${where} returned a malformed reply`, { details: { plugin: this.pluginName, call: where } });
      return calls.map(() => ({ error }));
    }
    return reply.map((outcome: unknown, index): BatchSettled => {
      const call = `invoke(${calls[index]!.method})`;
      if (typeof outcome === 'object' && outcome !== null && 'ok' in outcome) return { value: (outcome as { ok: unknown }).ok };
      const threw = typeof outcome === 'object' && outcome !== null ? (outcome as { threw?: unknown }).threw : undefined;
      return { error: this.pluginThrew(call, typeof threw === 'string' ? threw : JSON.stringify(threw ?? { message: 'a malformed answer' })) };
    });
  }

  supports(feature: string): boolean {
    return this.described?.features?.includes(feature) === true;
  }

  /** Runs the plugin's handler for `hook`; a plugin without one answers `skip`. */
  async runHook(hook: string, payload: unknown): Promise<HookResult> {
    const where = `hook ${hook}`;
    const value = this.parse(where, await this.dispatch('hook', { hook, payload }, where));
    const checked = checkHookResult(value);
    if (!checked.ok) {
      throw new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName}: its ${hook} handler ${checked.message}`, {
        details: { plugin: this.pluginName, call: where },
      });
    }
    return checked.result;
  }

  /**
   * Subscribes to the death of the isolate (a broken limit or a crash, not {@link dispose}).
   * Each listener is called at most once; one subscribed after the death is told at once.
   * Returns an unsubscribe function.
   */
  onFatal(listener: FatalListener): () => void {
    if (this.fatalError) {
      const error = this.fatalError;
      queueMicrotask(() => listener(error));
      return () => undefined;
    }
    if (this.disposed) return () => undefined;
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Disposes the isolate; calls in flight and every later call fail with E2008. Idempotent. */
  dispose(reason = 'disposed by the host'): void {
    if (this.disposed) return;
    this.teardown(reason);
    this.listeners.clear();
    this.rejectInflight(sandboxDisposed(this.pluginName, 'a call in flight', reason));
  }

  /** Heap, CPU and wall time as the isolate reports them; zeros for the heap once disposed. */
  async stats(): Promise<SandboxStats> {
    this.sampleTimes();
    let heap: ivm.HeapStatistics | undefined;
    if (!this.disposed) {
      heap = await this.isolate.getHeapStatistics().catch(() => undefined);
    }
    return {
      heapUsedBytes: heap?.used_heap_size ?? 0,
      heapLimitBytes: heap?.heap_size_limit ?? 0,
      externalBytes: heap?.externally_allocated_size ?? 0,
      cpuTimeMs: Number(this.lastCpuNs) / 1e6,
      wallTimeMs: Number(this.lastWallNs) / 1e6,
      pendingCalls: this.inflight.size,
      pendingHostCalls: this.relay.pendingCalls,
      disposed: this.disposed,
    };
  }

  private async load(): Promise<void> {
    const bridge = await this.context.evalClosure(
      BRIDGE_SOURCE,
      [this.relay.callback, this.limits.maxResultBytes, MAX_HOST_CALL_ARGS_CHARS, MAX_PENDING_HOST_CALLS, BUNDLE_GLOBAL, HOST_CALL_GLOBAL],
      { result: { reference: true } },
    );
    const settle: SettleRef = await bridge.get('settle', { reference: true });
    const bind: ivm.Reference<() => string> = await bridge.get('bind', { reference: true });
    this.dispatchRef = await bridge.get('dispatch', { reference: true });
    bridge.release();
    this.relay.attach(settle);

    let script: ivm.Script;
    try {
      script = await this.isolate.compileScript(this.options.bundleCode, {
        filename: `file:///rimuru/plugins/${encodeURIComponent(this.pluginName)}/plugin.js`,
      });
    } catch (cause) {
      throw badBundle(this.pluginName, `it does not compile: ${causeText(cause)}`, cause);
    }
    await this.bounded(
      'loading its bundle',
      () => script.run(this.context, { timeout: this.limits.callTimeoutMs, release: true }),
      (cause) => {
        const failure = isolateFailure(this.pluginName, 'loading its bundle', this.limits, cause);
        // A plain throw from top-level plugin code is a broken bundle, not a dead isolate.
        return failure.code === ErrorCodes.SANDBOX_DISPOSED
          ? badBundle(this.pluginName, `it threw while loading: ${causeText(cause)}`, cause)
          : failure;
      },
    );
    const problem = await this.bounded('binding its runtime', () =>
      bind.apply(undefined, [], { result: { copy: true }, timeout: this.limits.callTimeoutMs }),
    );
    if (typeof problem !== 'string' || problem !== '') throw badBundle(this.pluginName, String(problem));

    const description = pluginDescriptionSchema.safeParse(this.parse('describe', await this.dispatch('describe', {}, 'describe')));
    if (!description.success) {
      throw badBundle(this.pluginName, `describe returned ${description.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
    }
    this.described = description.data;
  }

  private async dispatch<M extends DispatchMethod>(method: M, args: DispatchArgs[M], where: string, payload?: string): Promise<string> {
    let argsJson: string;
    try {
      argsJson = JSON.stringify(args) ?? 'null';
    } catch (cause) {
      throw new SandboxError(ErrorCodes.CAPABILITY_BAD_REQUEST, `Plugin ${this.pluginName}: the arguments of ${where} cannot be sent as JSON: ${errorMessage(cause)}`, {
        cause,
        details: { plugin: this.pluginName, call: where },
      });
    }
    const dispatchRef = this.dispatchRef;
    if (!dispatchRef) throw sandboxDisposed(this.pluginName, where, 'it never started');
    const raw = await this.bounded(where, () =>
      dispatchRef.apply(undefined, payload === undefined ? [method, argsJson] : [method, argsJson, payload], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
        timeout: this.limits.callTimeoutMs,
      }),
    );
    const reply = bridgeReplySchema.safeParse(raw);
    if (!reply.success) {
      throw new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName}: ${where} returned a malformed reply`, {
        details: { plugin: this.pluginName, call: where },
      });
    }
    switch (reply.data.t) {
      case 'ok': {
        const bytes = Buffer.byteLength(reply.data.value, 'utf8');
        if (bytes > this.limits.maxResultBytes) throw this.fatal(resultTooLarge(this.pluginName, where, this.limits, bytes, 'bytes'));
        return reply.data.value;
      }
      case 'big':
        throw this.fatal(resultTooLarge(this.pluginName, where, this.limits, reply.data.chars, 'characters'));
      case 'type':
        throw new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName}: ${where} resolved to a ${reply.data.type} instead of JSON text`, {
          details: { plugin: this.pluginName, call: where },
        });
      case 'threw':
        throw this.pluginThrew(where, reply.data.message);
    }
  }

  /**
   * Runs one piece of isolate work under the wall deadline. When isolated-vm fails the work
   * (timeout, memory, death) the sandbox is torn down and every call in flight learns why.
   */
  private bounded<T>(where: string, work: () => Promise<T>, classify?: (cause: unknown) => SandboxError): Promise<T> {
    if (this.disposed) return Promise.reject(sandboxDisposed(this.pluginName, where, this.goneReason ?? 'disposed'));
    return new Promise<T>((resolve, reject) => {
      const abort = (error: SandboxError): void => reject(error);
      this.inflight.add(abort);
      const deadline = setTimeout(() => this.fatal(wallTimeout(this.pluginName, where, this.limits)), this.limits.wallTimeoutMs);
      let running: Promise<T>;
      try {
        running = work();
      } catch (error) {
        running = Promise.reject(error);
      }
      running
        .then(resolve, (cause: unknown) => {
          if (this.disposed) {
            reject(sandboxDisposed(this.pluginName, where, this.goneReason ?? 'disposed'));
            return;
          }
          reject(this.fatal(classify ? classify(cause) : isolateFailure(this.pluginName, where, this.limits, cause)));
        })
        .finally(() => {
          clearTimeout(deadline);
          this.inflight.delete(abort);
          this.sampleTimes();
        });
    });
  }

  /** A plugin rejection becomes E2006, unless it is a host verdict the plugin let through unchanged. */
  private pluginThrew(where: string, text: string): RimuruError {
    const thrown = readPluginThrow(text);
    if (thrown.code !== undefined) {
      const hostError = this.relay.hostErrorBehind(thrown.code, thrown.message);
      if (hostError) return hostError;
      if (thrown.code === ErrorCodes.CAPABILITY_BAD_REQUEST) {
        // The SDK's own answer to an unknown method or dispatch: the caller asked for something wrong.
        return new SandboxError(ErrorCodes.CAPABILITY_BAD_REQUEST, `Plugin ${this.pluginName} refused ${where}: ${thrown.message}`, {
          details: { plugin: this.pluginName, call: where },
        });
      }
    }
    return new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName} threw during ${where}: ${thrown.message}`, {
      details: { plugin: this.pluginName, call: where, pluginCode: thrown.code },
    });
  }

  private parse(where: string, json: string): unknown {
    try {
      return JSON.parse(json);
    } catch (cause) {
      throw new SandboxError(ErrorCodes.PLUGIN_THREW, `Plugin ${this.pluginName}: ${where} returned text that is not JSON`, {
        cause,
        details: { plugin: this.pluginName, call: where },
      });
    }
  }

  /** Kills the isolate for a broken limit; returns the error so callers can `throw this.fatal(...)`. */
  private fatal(error: SandboxError): SandboxError {
    if (this.disposed) return this.fatalError ?? error;
    this.fatalError = error;
    this.teardown(error.message);
    this.rejectInflight(error);
    this.options.logger?.warn({ plugin: this.pluginName, code: error.code, details: error.details }, error.message);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        this.options.logger?.error({ plugin: this.pluginName, err: errorMessage(listenerError) }, 'an onFatal listener threw');
      }
    }
    return error;
  }

  private teardown(reason: string): void {
    this.sampleTimes();
    this.goneReason = reason;
    if (!this.isolate.isDisposed) {
      try {
        this.isolate.dispose();
      } catch {
        // Already disposed by isolated-vm itself (memory limit): nothing left to release.
      }
    }
  }

  private rejectInflight(error: SandboxError): void {
    const waiting = [...this.inflight];
    this.inflight.clear();
    for (const reject of waiting) reject(error);
  }

  private sampleTimes(): void {
    if (this.isolate.isDisposed) return;
    try {
      this.lastCpuNs = this.isolate.cpuTime;
      this.lastWallNs = this.isolate.wallTime;
    } catch {
      // Disposed between the check and the read.
    }
  }
}
