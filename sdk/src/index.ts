/**
 * @rimuru/sdk — the only thing a Rimuru plugin imports.
 *
 * A plugin is a package whose package.json carries a `rimuru` manifest block and whose
 * bundle's default export is the value of one of the `define*` helpers below. Plugin code
 * runs in an isolate with no Node APIs: it reaches files, the network, binaries and kernel
 * data only through the capability clients on its {@link PluginContext}, and each call is
 * checked against the manifest's permissions.
 */
export * from './protocol';
export * from './hooks';
export * from './manifest';
export * from './capabilities';
export { CapabilityError } from './capability-clients';
export { definePlugin } from './define-plugin';
export type { DefinedPlugin, HookHandlerFn, HookHandlers, PluginDefinition, PluginLifecycle, PluginMethod } from './define-plugin';
export * from './kinds';
export { defineConfig, LOG_LEVELS } from './config';
export type * from './config';
export * from './json-fields';
export * from './data-paths';
export * from './sync-source';
