import type { FileStat, PluginContext } from '@rimuru/sdk';

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

/** `paths` from the plugin's config section (the kernel passes `agents.copilot.paths`). */
function configuredPaths(ctx: PluginContext): string[] {
  const paths = ctx.config.paths;
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) {
    ctx.log.warn('config "paths" is not a list of directories; using the environment and defaults', { paths: String(paths) });
    return [];
  }
  return paths.filter((entry): entry is string => typeof entry === 'string');
}

async function envValue(ctx: PluginContext, name: string): Promise<string | undefined> {
  const value = await ctx.env.get(name);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
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

/** `~` expanded, trailing slashes dropped; `undefined` for an empty or relative entry. */
export function absolutePath(entry: string, home: string): string | undefined {
  let expanded = entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
  if (!expanded.startsWith('/')) return undefined;
  while (expanded.length > 1 && expanded.endsWith('/')) expanded = expanded.slice(0, -1);
  return expanded;
}

export function joinPath(dir: string, ...names: string[]): string {
  return names.reduce((joined, name) => (joined.endsWith('/') ? joined + name : `${joined}/${name}`), dir);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function parentDir(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** True for `<home>/session-state/<session>/events.jsonl`. */
export function isSessionEventsFile(path: string): boolean {
  return baseName(path) === EVENTS_FILE && baseName(parentDir(parentDir(path))) === SESSION_STATE_DIR;
}

/**
 * `fs.stat` that answers `null` for a path the plugin may not read (a config override the
 * kernel did not grant) as well as for a missing one, logging the refusal: discovery and
 * listing report what they can see and never fail on it.
 */
export async function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  try {
    return await ctx.fs.stat(path);
  } catch (error) {
    ctx.log.warn('cannot read a Copilot CLI path', { path, error: error instanceof Error ? error.message : String(error) });
    return null;
  }
}
