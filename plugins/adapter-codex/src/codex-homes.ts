import { absolutePath, configuredPaths, joinPath, type PluginContext } from '@rimuru/sdk';

/** A Codex home: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/` live under it. */
export interface CodexHome {
  dir: string;
  origin: 'config' | 'CODEX_HOME' | 'default';
}

/** `agents.codex.paths` from the config, else `$CODEX_HOME`, else `~/.codex`. */
export async function codexHomes(ctx: PluginContext): Promise<CodexHome[]> {
  const home = await ctx.env.home();
  const configured = configuredPaths(ctx, 'CODEX_HOME or ~/.codex');
  if (configured.length > 0) return toHomes(configured, 'config', home);
  const fromEnv = await ctx.env.get('CODEX_HOME');
  if (typeof fromEnv === 'string' && fromEnv.trim() !== '') return toHomes([fromEnv], 'CODEX_HOME', home);
  return toHomes(['~/.codex'], 'default', home);
}

function toHomes(entries: readonly string[], origin: CodexHome['origin'], home: string): CodexHome[] {
  const homes: CodexHome[] = [];
  for (const entry of entries) {
    const dir = absolutePath(entry.trim(), home);
    if (dir === undefined) continue;
    if (!homes.some((known) => known.dir === dir)) homes.push({ dir, origin });
  }
  return homes;
}

export { joinPath };
