/**
 * The wire contract between the host (sandbox/) and plugin code running in an isolate.
 *
 * Everything crosses the isolate boundary as JSON strings: structured-clone copies are
 * several times slower, and strings carry no host object that plugin code could climb out
 * through. Both sides import these names from here so they cannot drift apart.
 */

/** Global the sandbox installs in the isolate: `(capability, method, argsJson) => Promise<resultJson>`. */
export const HOST_CALL_GLOBAL = '__rimuruHostCall';

/** esbuild `globalName` of every plugin bundle; its `default` export is a {@link PluginRuntime}. */
export const BUNDLE_GLOBAL = '__rimuru_bundle__';

/** Host → plugin entry points handled by the SDK runtime inside the isolate. */
export type DispatchMethod = 'describe' | 'activate' | 'invoke' | 'invokeBatch' | 'hook' | 'deactivate';

/** What a bundle's default export looks like to the sandbox (built by `definePlugin`). */
export interface PluginRuntime {
  readonly __rimuru: 1;
  /**
   * Runs one host request; resolves to a JSON string. Rejections carry a {@link WireError} as
   * JSON in `message`. `payload` is text sent beside the JSON (see {@link LINES_PAYLOAD}).
   */
  dispatch(method: DispatchMethod, argsJson: string, payload?: string): Promise<string>;
}

/**
 * A feature a runtime names in `describe`: it takes the `lines` of an `invoke`'s first argument
 * as one `\n`-joined text beside the JSON (`DispatchArgs['invoke'].linesPayload` says how many),
 * and splits them itself. A jsonl chunk then crosses as one string copy instead of being
 * escaped into JSON on the host and parsed back into thousands of strings in the isolate. The
 * plugin's method still receives `lines: string[]`.
 */
export const LINES_PAYLOAD = 'lines-payload';

/**
 * A feature a runtime names in `describe`: `invokeBatch` runs several invokes, one after the
 * other, in one crossing, and answers each on its own ({@link BatchOutcome}: one call's throw
 * does not fail the others). Their `lines` travel as one payload, each call's `linesPayload`
 * lines in order. The ingest reads thousands of small transcripts; a crossing costs ~100 µs
 * whatever it carries, so it sends what is waiting together.
 */
export const INVOKE_BATCH = 'invoke-batch';

/** One call's answer in an `invokeBatch` reply: its result, or what it threw. */
export type BatchOutcome = { ok: unknown } | { threw: WireError };

/** Arguments of each dispatch method (before JSON encoding). */
export interface DispatchArgs {
  describe: Record<string, never>;
  activate: { pluginName: string; pluginVersion: string; config: unknown };
  /** `linesPayload`: the first argument's `lines` are the payload, this many of them (see {@link LINES_PAYLOAD}). */
  invoke: { method: string; args: unknown[]; linesPayload?: number };
  invokeBatch: { calls: Array<DispatchArgs['invoke']> };
  hook: { hook: string; payload: unknown };
  deactivate: Record<string, never>;
}

/** What `describe` returns: read after the bundle is evaluated, to check it matches its manifest. */
export interface PluginDescription {
  kind: string;
  methods: string[];
  hooks: string[];
  /** Protocol features the runtime understands (e.g. {@link LINES_PAYLOAD}); absent from older runtimes. */
  features?: string[];
}

/** An error as it crosses the boundary in either direction. */
export interface WireError {
  code: string;
  message: string;
}

/** Names of the capabilities a plugin can call; each maps to a client in the SDK and a handler on the host. */
export type CapabilityName = 'fs' | 'sqlite' | 'http' | 'exec' | 'ws' | 'env' | 'kv' | 'data' | 'hooks' | 'log';
