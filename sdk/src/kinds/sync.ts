/** Sync providers: fetch model names, context windows and prices from a pricing source. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

/** Per-token USD prices; absent means unknown (never zero by default). */
export interface ModelPrices {
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  cacheRead?: number;
  inputAbove200k?: number;
  outputAbove200k?: number;
  cacheWriteAbove200k?: number;
  cacheReadAbove200k?: number;
}

export interface ModelInfo {
  provider: string;
  model: string;
  displayName?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  prices?: ModelPrices;
  capabilities?: string[];
}

export interface SyncDefinition extends PluginLifecycle {
  /** Whether this is the model vendor's own source (wins for names and context windows). */
  official: boolean;
  /** Lower wins among sources of the same standing. */
  priority: number;
  fetchModels(ctx: PluginContext): Promise<ModelInfo[]>;
}

/** Declares a pricing sync plugin (manifest `rimuru.kind: "sync"`). */
export function defineSync(definition: SyncDefinition): DefinedPlugin {
  return definePlugin({
    kind: 'sync',
    ...lifecycleOf(definition),
    methods: {
      ...pickMethods(definition, ['fetchModels']),
      info: () => ({ official: definition.official, priority: definition.priority }),
    },
  });
}
