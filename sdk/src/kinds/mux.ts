/** Multiplexer backends (tmux, muxd): sessions and panes that agents are launched into. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

export interface MuxSession {
  id: string;
  name: string;
  attached?: boolean;
}

export interface MuxPane {
  id: string;
  sessionId: string;
  title?: string;
  active?: boolean;
  width?: number;
  height?: number;
  pid?: number;
}

export interface MuxDefinition extends PluginLifecycle {
  createSession(input: { name: string; cwd?: string; command?: string[] }, ctx: PluginContext): Promise<MuxSession>;
  listSessions(ctx: PluginContext): Promise<MuxSession[]>;
  killSession(input: { id: string }, ctx: PluginContext): Promise<void>;
  createPane(input: { sessionId: string; cwd?: string; command?: string[]; env?: Record<string, string> }, ctx: PluginContext): Promise<MuxPane>;
  listPanes(input: { sessionId: string }, ctx: PluginContext): Promise<MuxPane[]>;
  killPane(input: { id: string }, ctx: PluginContext): Promise<void>;
  selectPane(input: { id: string }, ctx: PluginContext): Promise<void>;
  resizePane(input: { id: string; width?: number; height?: number }, ctx: PluginContext): Promise<void>;
  sendKeys(input: { id: string; keys: string; enter?: boolean }, ctx: PluginContext): Promise<void>;
  capturePane(input: { id: string; lines?: number }, ctx: PluginContext): Promise<string>;
}

const MUX_METHODS = [
  'createSession',
  'listSessions',
  'killSession',
  'createPane',
  'listPanes',
  'killPane',
  'selectPane',
  'resizePane',
  'sendKeys',
  'capturePane',
] as const;

/** Declares a multiplexer backend plugin (manifest `rimuru.kind: "mux"`). */
export function defineMux(definition: MuxDefinition): DefinedPlugin {
  return definePlugin({ kind: 'mux', ...lifecycleOf(definition), methods: pickMethods(definition, MUX_METHODS) });
}
