/**
 * `definePlugin`: turns a plugin author's definition into the runtime object the sandbox
 * drives. This file runs inside the isolate.
 */
import type { PluginContext } from './capabilities';
import { createPluginContext } from './capability-clients';
import { Continue, isHookName, type HookName, type HookPayload, type HookResult } from './hooks';
import type { PluginKind } from './manifest';
import { INVOKE_BATCH, LINES_PAYLOAD, type BatchOutcome, type DispatchArgs, type DispatchMethod, type PluginDescription, type PluginRuntime, type WireError } from './protocol';

/** A hook handler. Returning nothing means {@link Continue}. */
export type HookHandlerFn<H extends HookName = HookName> = (
  payload: HookPayload<H>,
  ctx: PluginContext,
) => HookResult | void | Promise<HookResult | void>;

/** Handlers by hook name; custom hooks are keyed `custom:<name>`. */
export type HookHandlers = { [H in HookName]?: HookHandlerFn<H> };

/** A method the host may invoke: its arguments, then the plugin context last. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind narrows these signatures
export type PluginMethod = (...args: any[]) => unknown;

/** What every plugin shares, whatever its kind. */
export interface PluginLifecycle {
  /** Runs once when the plugin is loaded, before any other call. */
  activate?(ctx: PluginContext): void | Promise<void>;
  /** Runs once when the plugin is unloaded; release what `activate` acquired. */
  deactivate?(ctx: PluginContext): void | Promise<void>;
  /** Hook handlers; each must also be declared in the manifest's `contributes.hooks`. */
  hooks?: HookHandlers;
}

/** The generic plugin definition; prefer the kind helpers (`defineAdapter`, `defineExporter`, …). */
export interface PluginDefinition extends PluginLifecycle {
  kind: PluginKind;
  /** Methods the host may invoke by name. Each is called as `method(...args, ctx)`. */
  methods?: Record<string, PluginMethod>;
}

/** The value a bundle exports: the sandbox sees {@link PluginRuntime}; tests may read `definition`. */
export interface DefinedPlugin extends PluginRuntime {
  readonly definition: PluginDefinition;
}

class DispatchError extends Error {
  constructor(code: string, message: string) {
    super(JSON.stringify({ code, message } satisfies WireError));
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Puts the lines sent as a payload (see {@link LINES_PAYLOAD}) into the first argument. */
function attachLinesPayload(input: DispatchArgs['invoke'], payload: string | undefined): void {
  const count = input.linesPayload;
  if (count === undefined) return;
  if (typeof payload !== 'string' || typeof count !== 'number') {
    throw new DispatchError('E2010', 'an invoke announced a lines payload it did not carry');
  }
  const lines = count === 0 ? [] : payload.split('\n');
  if (lines.length !== count) throw new DispatchError('E2010', `a lines payload held ${lines.length} lines, not the ${count} announced`);
  attachLines(input, lines);
}

function attachLines(input: DispatchArgs['invoke'], lines: string[]): void {
  const first = Array.isArray(input.args) ? input.args[0] : undefined;
  if (typeof first !== 'object' || first === null) throw new DispatchError('E2010', 'an invoke announced a lines payload it did not carry');
  (first as { lines?: string[] }).lines = lines;
}

/** Hands each call of a batch its share of the payload's lines, in order (see {@link INVOKE_BATCH}). */
function attachBatchLines(calls: Array<DispatchArgs['invoke']>, payload: string | undefined): void {
  const counts = calls.map((call) => call.linesPayload ?? 0);
  const total = counts.reduce((sum, count) => sum + (typeof count === 'number' && count >= 0 ? count : NaN), 0);
  if (!(total >= 0)) throw new DispatchError('E2010', 'a batch announced a lines count that is not a count');
  const lines = total === 0 ? [] : typeof payload === 'string' ? payload.split('\n') : [];
  if (lines.length !== total) throw new DispatchError('E2010', `a batch's lines payload held ${lines.length} lines, not the ${total} announced`);
  let at = 0;
  calls.forEach((call, index) => {
    if (call.linesPayload === undefined) return;
    const count = counts[index] as number;
    attachLines(call, lines.slice(at, at + count));
    at += count;
  });
}

/** What a call threw, as it crosses back: the code of a capability error kept (e.g. E2004). */
function wireErrorOf(err: unknown): WireError {
  if (err instanceof DispatchError) return JSON.parse(err.message) as WireError;
  const code = (err as { code?: unknown })?.code;
  return { code: typeof code === 'string' && /^E\d{4}$/.test(code) ? code : 'E2006', message: errorText(err) };
}

function normaliseHookResult(value: HookResult | void): HookResult {
  return value ?? Continue();
}

/**
 * Declares a plugin. The bundle's default export must be the value this returns.
 *
 * @example
 * export default definePlugin({ kind: 'hook', hooks: { SessionStart: (p, ctx) => ctx.log.info('started', p) } });
 */
export function definePlugin(definition: PluginDefinition): DefinedPlugin {
  let ctx: PluginContext | undefined;
  const methods = definition.methods ?? {};
  const hooks = (definition.hooks ?? {}) as Record<string, HookHandlerFn | undefined>;

  function context(): PluginContext {
    if (!ctx) throw new DispatchError('E2006', 'the plugin was called before it was activated');
    return ctx;
  }

  const handlers: { [M in DispatchMethod]: (input: DispatchArgs[M]) => Promise<unknown> } = {
    async describe() {
      return {
        kind: definition.kind,
        methods: Object.keys(methods).filter((name) => typeof methods[name] === 'function'),
        hooks: Object.keys(hooks).filter((name) => typeof hooks[name] === 'function' && isHookName(name)),
        features: [LINES_PAYLOAD, INVOKE_BATCH],
      } satisfies PluginDescription;
    },
    async activate(input) {
      ctx = createPluginContext(input);
      await definition.activate?.(ctx);
      return null;
    },
    async invoke(input) {
      const fn = methods[input.method];
      if (typeof fn !== 'function') {
        throw new DispatchError('E2010', `this ${definition.kind} plugin has no method "${input.method}"`);
      }
      return fn(...(Array.isArray(input.args) ? input.args : []), context());
    },
    async invokeBatch() {
      // Answered by `dispatch` itself (each call's outcome on its own); never reached.
      throw new DispatchError('E2010', 'invokeBatch without its calls');
    },
    async hook(input) {
      const fn = hooks[input.hook];
      if (typeof fn !== 'function') return { type: 'skip' } satisfies HookResult;
      return normaliseHookResult(await fn(input.payload as never, context()));
    },
    async deactivate() {
      if (ctx) await definition.deactivate?.(ctx);
      return null;
    },
  };

  /** Each call of a batch in turn; each answered on its own (see {@link INVOKE_BATCH}). */
  async function runBatch(input: DispatchArgs['invokeBatch'], payload: string | undefined): Promise<string> {
    const calls = Array.isArray(input?.calls) ? input.calls : null;
    if (calls === null || !calls.every((call) => typeof call === 'object' && call !== null)) throw new DispatchError('E2010', 'invokeBatch without a list of calls');
    attachBatchLines(calls, payload);
    const outcomes: BatchOutcome[] = [];
    for (const call of calls) {
      try {
        const value = await handlers.invoke(call);
        outcomes.push({ ok: value === undefined ? null : value });
      } catch (err) {
        outcomes.push({ threw: wireErrorOf(err) });
      }
    }
    return JSON.stringify(outcomes);
  }

  return Object.freeze({
    __rimuru: 1 as const,
    definition,
    async dispatch(method: DispatchMethod, argsJson: string, payload?: string): Promise<string> {
      const handler = handlers[method] as ((input: unknown) => Promise<unknown>) | undefined;
      if (!handler) throw new DispatchError('E2010', `unknown dispatch method "${method}"`);
      let result: unknown;
      try {
        const input: unknown = argsJson ? JSON.parse(argsJson) : {};
        if (method === 'invokeBatch') return await runBatch(input as DispatchArgs['invokeBatch'], payload);
        if (method === 'invoke') attachLinesPayload(input as DispatchArgs['invoke'], payload);
        result = await handler(input);
      } catch (err) {
        if (err instanceof DispatchError) throw err;
        const wire = wireErrorOf(err);
        // A capability error the plugin did not catch keeps its code (e.g. E2004), so the
        // host can tell a refused permission from a plugin bug.
        throw new DispatchError(wire.code, wire.message);
      }
      return JSON.stringify(result === undefined ? null : result);
    },
  });
}
