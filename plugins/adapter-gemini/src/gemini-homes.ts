import type { FileStat, PluginContext } from '@rimuru/sdk';

/** One Gemini CLI data directory (`~/.gemini`); chat recordings live under its `tmp/`. */
export interface GeminiHome {
  dir: string;
  tmpDir: string;
  /** The path as configured (the `.gemini` directory or its `tmp/`): what must exist, what discovery reports. */
  named: string;
  /** Which override named it: `agents.gemini.paths`, `GEMINI_CLI_HOME`, or the default. */
  origin: 'config' | 'GEMINI_CLI_HOME' | 'default';
}

const TMP = 'tmp';

/**
 * The Gemini data directories to read, first match wins: `agents.gemini.paths` from the config
 * (each the `.gemini` directory or its `tmp/`), else `$GEMINI_CLI_HOME/.gemini` (Gemini CLI
 * takes that variable as its home directory), else `~/.gemini`.
 */
export async function geminiHomes(ctx: PluginContext): Promise<GeminiHome[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx);
  if (configured.length > 0) return toHomes(configured, 'config', home);
  const cliHome = await envValue(ctx, 'GEMINI_CLI_HOME');
  if (cliHome !== undefined) return toHomes([`${cliHome}/.gemini`], 'GEMINI_CLI_HOME', home);
  return toHomes(['~/.gemini'], 'default', home);
}

/** `paths` from the plugin's config section (the kernel passes `agents.gemini.paths`). */
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

function toHomes(entries: readonly string[], origin: GeminiHome['origin'], home: string): GeminiHome[] {
  const homes: GeminiHome[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const absolute = absolutePath(entry.trim(), home);
    if (absolute === undefined) continue;
    const isTmp = baseName(absolute) === TMP;
    const dir = isTmp ? parentDir(absolute) : absolute;
    if (seen.has(dir)) continue;
    seen.add(dir);
    homes.push({ dir, tmpDir: isTmp ? absolute : joinPath(absolute, TMP), named: absolute, origin });
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

/**
 * `fs.stat` that answers `null` for a path the plugin may not read (a config override the
 * kernel did not grant) as well as for a missing one, logging the refusal: discovery and
 * listing report what they can see and never fail on it.
 */
export async function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  try {
    return await ctx.fs.stat(path);
  } catch (error) {
    ctx.log.warn('cannot read a Gemini CLI path', { path, error: error instanceof Error ? error.message : String(error) });
    return null;
  }
}
