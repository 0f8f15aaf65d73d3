import { absolutePath, baseName, configuredPaths, envValue, type FileStat, joinPath, parentDir, type PluginContext, statIfReadable as statPath } from '@rimuru/sdk';

/** One Copilot CLI data directory (`~/.copilot`): `session-state/` and `otel/` live under it. */
export interface CopilotHome {
  dir: string;
  /** The path as configured (the data directory or its `session-state/`): what must exist, what discovery reports. */
  named: string;
  /** Which override named it: `agents.copilot.paths`, `COPILOT_HOME`, or the defaults. */
  origin: 'config' | 'COPILOT_HOME' | 'default';
}

export const SESSION_STATE_DIR = 'session-state';
export const OTEL_DIR = 'otel';
export const EVENTS_FILE = 'events.jsonl';

/**
 * The Copilot data directories to read, first match wins: `agents.copilot.paths` from the
 * config, else `COPILOT_HOME`, else `$XDG_CONFIG_HOME/.copilot` (where Copilot CLI up to 0.0.421
 * kept everything when that variable was set) and `~/.copilot`. A configured entry may name
 * the data directory or its `session-state/`.
 */
export async function copilotHomes(ctx: PluginContext): Promise<CopilotHome[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx);
  if (configured.length > 0) return toHomes(configured, 'config', home);
  const fromEnv = await envValue(ctx, 'COPILOT_HOME');
  if (fromEnv !== undefined) return toHomes([fromEnv], 'COPILOT_HOME', home);
  const xdg = await envValue(ctx, 'XDG_CONFIG_HOME');
  return toHomes([...(xdg === undefined ? [] : [`${xdg}/.copilot`]), '~/.copilot'], 'default', home);
}

/** The single OTel file `COPILOT_OTEL_FILE_EXPORTER_PATH` names, when set to an absolute path. */
export async function otelExportFile(ctx: PluginContext): Promise<string | undefined> {
  const value = await envValue(ctx, 'COPILOT_OTEL_FILE_EXPORTER_PATH');
  return value === undefined ? undefined : absolutePath(value, await ctx.env.home());
}

function toHomes(entries: readonly string[], origin: CopilotHome['origin'], home: string): CopilotHome[] {
  const homes: CopilotHome[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const absolute = absolutePath(entry.trim(), home);
    if (absolute === undefined) continue;
    const dir = baseName(absolute) === SESSION_STATE_DIR ? parentDir(absolute) : absolute;
    if (seen.has(dir)) continue;
    seen.add(dir);
    homes.push({ dir, named: absolute, origin });
  }
  return homes;
}

/** True for `<home>/session-state/<session>/events.jsonl`. */
export function isSessionEventsFile(path: string): boolean {
  return baseName(path) === EVENTS_FILE && baseName(parentDir(parentDir(path))) === SESSION_STATE_DIR;
}

export { absolutePath, baseName, joinPath, parentDir };

/** `fs.stat`, or `null` (logged) for a path it may not or cannot read: see the SDK's `statIfReadable`. */
export function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  return statPath(ctx, path, 'a Copilot CLI path');
}
