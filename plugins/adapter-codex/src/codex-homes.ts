import type { PluginContext } from '@rimuru/sdk';

/** A Codex home: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/` live under it. */
export interface CodexHome {
  dir: string;
  origin: 'config' | 'CODEX_HOME' | 'default';
}

/** `agents.codex.paths` from the config, else `$CODEX_HOME`, else `~/.codex`. */
export async function codexHomes(ctx: PluginContext): Promise<CodexHome[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx);
  if (configured.length > 0) return toHomes(configured, 'config', home);
  const fromEnv = await ctx.env.get('CODEX_HOME');
  if (typeof fromEnv === 'string' && fromEnv.trim() !== '') return toHomes([fromEnv], 'CODEX_HOME', home);
  return toHomes(['~/.codex'], 'default', home);
}

function configuredPaths(ctx: PluginContext): string[] {
  const paths = ctx.config.paths;
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) {
    ctx.log.warn('config "paths" is not a list of directories; using CODEX_HOME or ~/.codex', { paths: String(paths) });
    return [];
  }
  return paths.filter((entry): entry is string => typeof entry === 'string');
}

function toHomes(entries: readonly string[], origin: CodexHome['origin'], home: string): CodexHome[] {
  const homes: CodexHome[] = [];
  for (const entry of entries) {
    const trimmed = entry.trim();
    let dir = trimmed === '~' || trimmed.startsWith('~/') ? home + trimmed.slice(1) : trimmed;
    if (!dir.startsWith('/')) continue;
    while (dir.length > 1 && dir.endsWith('/')) dir = dir.slice(0, -1);
    if (!homes.some((known) => known.dir === dir)) homes.push({ dir, origin });
  }
  return homes;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
