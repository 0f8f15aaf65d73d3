import type { FileStat, PluginContext } from '@rimuru/sdk';

/** One Claude Code data root: a config dir and the `projects/` dir under it that holds transcripts. */
export interface ClaudeRoot {
  dir: string;
  projectsDir: string;
  /** Which override named it: `agents.claude-code.paths`, `CLAUDE_CONFIG_DIR`, or the defaults. */
  origin: 'config' | 'CLAUDE_CONFIG_DIR' | 'default';
}

const PROJECTS = 'projects';

/**
 * The roots to read, first match wins: `agents.claude-code.paths` from the config, else each
 * entry of `CLAUDE_CONFIG_DIR` (comma-separated), else `$XDG_CONFIG_HOME/claude` (default
 * `~/.config/claude`) and `~/.claude`. An entry may name the config dir or its `projects/`.
 */
export async function claudeRoots(ctx: PluginContext): Promise<ClaudeRoot[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx);
  if (configured.length > 0) return toRoots(configured, 'config', home);
  const fromEnv = (await envValue(ctx, 'CLAUDE_CONFIG_DIR'))?.split(',') ?? [];
  if (fromEnv.some((entry) => entry.trim() !== '')) return toRoots(fromEnv, 'CLAUDE_CONFIG_DIR', home);
  const xdg = await envValue(ctx, 'XDG_CONFIG_HOME');
  return toRoots([xdg ? `${xdg}/claude` : '~/.config/claude', '~/.claude'], 'default', home);
}

/** `paths` from the plugin's config section (the kernel passes `agents.claude-code.paths`). */
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

function toRoots(entries: readonly string[], origin: ClaudeRoot['origin'], home: string): ClaudeRoot[] {
  const roots: ClaudeRoot[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const absolute = absolutePath(entry.trim(), home);
    if (absolute === undefined) continue;
    const isProjects = absolute.endsWith(`/${PROJECTS}`);
    const dir = isProjects ? absolute.slice(0, -PROJECTS.length - 1) || '/' : absolute;
    const projectsDir = isProjects ? absolute : joinPath(absolute, PROJECTS);
    if (seen.has(projectsDir)) continue;
    seen.add(projectsDir);
    roots.push({ dir, projectsDir, origin });
  }
  return roots;
}

/** `~` expanded, trailing slashes dropped; `undefined` for an empty or relative entry. */
export function absolutePath(entry: string, home: string): string | undefined {
  let expanded = entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
  if (!expanded.startsWith('/')) return undefined;
  while (expanded.length > 1 && expanded.endsWith('/')) expanded = expanded.slice(0, -1);
  return expanded;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/**
 * `fs.stat` that answers `null` for a path the plugin may not read (a config override the
 * kernel did not grant) as well as for a missing one, logging the refusal: discovery reports
 * what it can see and never fails on it.
 */
export async function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  try {
    return await ctx.fs.stat(path);
  } catch (error) {
    ctx.log.warn('cannot read a Claude Code data root', { path, error: error instanceof Error ? error.message : String(error) });
    return null;
  }
}
