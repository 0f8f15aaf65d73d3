import { joinPath, type PluginContext } from '@rimuru/sdk';
import * as z from 'zod/mini';

const configSchema = z.object({ paths: z.optional(z.array(z.string().check(z.minLength(1)))) });

export { joinPath };

function expandHome(entry: string, home: string): string {
  return entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
}

/**
 * Where OpenCode keeps its data, first match wins: `agents.opencode.paths` from the config (each
 * an OpenCode data dir), else `$XDG_DATA_HOME/opencode` (only an absolute value counts, as the
 * XDG spec says), else `~/.local/share/opencode`.
 */
export async function dataRoots(ctx: PluginContext): Promise<string[]> {
  const home = await ctx.env.home();
  const config = configSchema.safeParse(ctx.config);
  const configured = config.success ? (config.data.paths ?? []) : [];
  if (configured.length > 0) return configured.map((entry) => expandHome(entry, home).replace(/\/+$/, ''));
  const xdg = await ctx.env.get('XDG_DATA_HOME');
  const dataHome = xdg !== undefined && xdg.startsWith('/') ? xdg : joinPath(home, '.local/share');
  return [joinPath(dataHome, 'opencode')];
}
