import { absolutePath, configuredPaths, envValue, type FileStat, joinPath, type PluginContext, statIfReadable as statPath } from '@rimuru/sdk';

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

export { absolutePath, joinPath };

/** `fs.stat`, or `null` (logged) for a path it may not or cannot read: see the SDK's `statIfReadable`. */
export function statIfReadable(ctx: PluginContext, path: string): Promise<FileStat | null> {
  return statPath(ctx, path, 'a Claude Code data root');
}
