/** Shared plumbing of the kind helpers (not part of the public SDK surface). */
import type { PluginLifecycle } from '../define-plugin';

/** The lifecycle part of a kind definition. */
export function lifecycleOf(definition: PluginLifecycle): PluginLifecycle {
  return { activate: definition.activate, deactivate: definition.deactivate, hooks: definition.hooks };
}

/** The named methods a kind definition provides, bound to it so `this` works in object-literal methods. */
export function pickMethods<T extends object>(
  definition: T,
  names: readonly string[],
): Record<string, (...args: unknown[]) => unknown> {
  const methods: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of names) {
    const fn = (definition as Record<string, unknown>)[name];
    if (typeof fn === 'function') methods[name] = (fn as (...args: unknown[]) => unknown).bind(definition);
  }
  return methods;
}
