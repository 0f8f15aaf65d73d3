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
export type DispatchMethod = 'describe' | 'activate' | 'invoke' | 'hook' | 'deactivate';

/** What a bundle's default export looks like to the sandbox (built by `definePlugin`). */
export interface PluginRuntime {
  readonly __rimuru: 1;
  /** Runs one host request; resolves to a JSON string. Rejections carry a {@link WireError} as JSON in `message`. */
  dispatch(method: DispatchMethod, argsJson: string): Promise<string>;
}

/** Arguments of each dispatch method (before JSON encoding). */
export interface DispatchArgs {
  describe: Record<string, never>;
  activate: { pluginName: string; pluginVersion: string; config: unknown };
  invoke: { method: string; args: unknown[] };
  hook: { hook: string; payload: unknown };
  deactivate: Record<string, never>;
}

/** What `describe` returns: read after the bundle is evaluated, to check it matches its manifest. */
export interface PluginDescription {
  kind: string;
  methods: string[];
  hooks: string[];
}

/** An error as it crosses the boundary in either direction. */
export interface WireError {
  code: string;
  message: string;
}

/** Names of the capabilities a plugin can call; each maps to a client in the SDK and a handler on the host. */
export type CapabilityName = 'fs' | 'sqlite' | 'http' | 'exec' | 'ws' | 'env' | 'kv' | 'data' | 'hooks' | 'log';
