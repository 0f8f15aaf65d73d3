/** The plugin bundler: one esbuild IIFE per plugin, the only code its isolate runs. */
export { bundlePlugin } from './bundle-plugin';
export type { BundlePluginOptions, PluginBundle } from './bundle-plugin';
export { defaultSdkEntry } from './sdk-entry';
