/**
 * @rimuru/sdk/testing — run your plugin in the real Rimuru sandbox from your own tests.
 *
 * This module runs on the host (in jest), never inside a plugin: it bundles the plugin with the
 * kernel's bundler, starts it in an isolate with real limits and gives it real, permission-checked
 * capabilities over a throwaway temp dir.
 */
export { runPlugin } from './run-plugin';
export type { EmittedHook, PluginRun, RunPluginOptions, TestPluginHandle } from './run-plugin';
export { captureLogs } from './log-capture';
export type { CapturedLog } from './log-capture';
export { rejectionOf } from './rejection-of';
