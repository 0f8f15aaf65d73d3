/**
 * Finding an agent's data for adapters: the user's `paths` override, environment variables,
 * `~` expansion and plain string path helpers (the sandbox has no `node:path`). Each adapter
 * keeps only its own order of precedence and folder layout.
 */
import type { FileStat, PluginContext } from './capabilities';

/**
 * `paths` from the plugin's config section (the kernel passes `agents.<type>.paths` there);
 * `[]` when unset, and a warning naming what is used instead when it is not a list.
 */
export function configuredPaths(ctx: PluginContext, insteadUsing = 'the environment and defaults'): string[] {
  const paths = ctx.config.paths;
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) {
    ctx.log.warn(`config "paths" is not a list of directories; using ${insteadUsing}`, { paths: String(paths) });
    return [];
  }
  return paths.filter((entry): entry is string => typeof entry === 'string');
}

/** An environment variable's value, trimmed; `undefined` when unset or blank. */
export async function envValue(ctx: PluginContext, name: string): Promise<string | undefined> {
  const value = await ctx.env.get(name);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `~` expanded, trailing slashes dropped; `undefined` for an empty or relative entry. */
export function absolutePath(entry: string, home: string): string | undefined {
  let expanded = entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
  if (!expanded.startsWith('/')) return undefined;
  while (expanded.length > 1 && expanded.endsWith('/')) expanded = expanded.slice(0, -1);
  return expanded;
}

/** `dir` and `names` joined by single slashes (trailing slashes of `dir` dropped). */
export function joinPath(dir: string, ...names: string[]): string {
  return [dir.replace(/\/+$/, ''), ...names].join('/');
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function parentDir(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/**
 * `fs.stat` that answers `null` for a path the plugin may not read (a config override the
 * kernel did not grant) as well as for a missing one, logging the refusal as `cannot read
 * <what>`: discovery and listing report what they can see and never fail on it.
 */
export async function statIfReadable(ctx: PluginContext, path: string, what: string): Promise<FileStat | null> {
  try {
    return await ctx.fs.stat(path);
  } catch (error) {
    ctx.log.warn(`cannot read ${what}`, { path, error: error instanceof Error ? error.message : String(error) });
    return null;
  }
}
