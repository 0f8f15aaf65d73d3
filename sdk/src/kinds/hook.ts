/** Hook plugins: handlers for hook points (cost alerts, session logs, webhooks, metrics export). */
import { definePlugin, type DefinedPlugin, type HookHandlers, type PluginLifecycle, type PluginMethod } from '../define-plugin';
import { lifecycleOf } from './kind-helpers';

export interface HookPluginDefinition extends PluginLifecycle {
  hooks: HookHandlers;
  /** Extra methods the host may invoke (e.g. a status query); called as `method(...args, ctx)`. */
  methods?: Record<string, PluginMethod>;
}

/** Declares a hook plugin (manifest `rimuru.kind: "hook"`). */
export function defineHookPlugin(definition: HookPluginDefinition): DefinedPlugin {
  return definePlugin({ kind: 'hook', ...lifecycleOf(definition), methods: definition.methods });
}
