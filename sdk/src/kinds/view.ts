/** Views: declarative view models the web dashboard and the TUI both draw. No HTML from plugins. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

export type ViewBlock =
  | { type: 'stat'; label: string; value: string | number; unit?: string; trend?: number }
  | { type: 'table'; columns: string[]; rows: Array<Array<string | number | null>> }
  | { type: 'chart'; chart: 'line' | 'bar' | 'pie'; series: Array<{ name: string; points: Array<[string | number, number]> }> }
  | { type: 'text'; text: string }
  | { type: 'action'; id: string; label: string };

export interface ViewModel {
  title: string;
  blocks: ViewBlock[];
}

export interface ViewRenderContext {
  viewId: string;
  params: Record<string, string>;
}

export interface ViewDefinition extends PluginLifecycle {
  render(input: ViewRenderContext, ctx: PluginContext): Promise<ViewModel>;
  handleAction?(action: string, input: Record<string, unknown>, ctx: PluginContext): Promise<ViewModel | null>;
}

/** Declares a view plugin (manifest `rimuru.kind: "view"`). */
export function defineView(definition: ViewDefinition): DefinedPlugin {
  return definePlugin({ kind: 'view', ...lifecycleOf(definition), methods: pickMethods(definition, ['render', 'handleAction']) });
}
