import { joinPath, type PluginContext } from '@rimuru/sdk';
import * as z from 'zod/mini';

const configSchema = z.object({ paths: z.optional(z.array(z.string().check(z.minLength(1)))) });

export { joinPath };

export function parentDir(path: string): string {
  return path.slice(0, path.replace(/\/+$/, '').lastIndexOf('/'));
}

/** Cursor's `User` dir: `globalStorage/state.vscdb` holds the composers, `workspaceStorage/*` which folder each was opened in. */
export const globalDatabase = (userDir: string): string => joinPath(userDir, 'globalStorage/state.vscdb');
export const workspaceStorage = (userDir: string): string => joinPath(userDir, 'workspaceStorage');

function expandHome(entry: string, home: string): string {
  return entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
}

/** A configured path as a `User` dir: the dir itself, Cursor's data dir above it, or its `state.vscdb`. */
async function userDirOf(ctx: PluginContext, entry: string): Promise<string> {
  const stat = await ctx.fs.stat(entry);
  if (stat?.isFile) return parentDir(parentDir(entry));
  if ((await ctx.fs.stat(joinPath(entry, 'User')))?.isDirectory) return joinPath(entry, 'User');
  return entry.replace(/\/+$/, '');
}

/**
 * Where Cursor (a VS Code build) keeps its user data, in order: each of `agents.cursor.paths`,
 * else `$XDG_CONFIG_HOME/Cursor/User` (an absolute value) or `~/.config/Cursor/User` on Linux,
 * and `~/Library/Application Support/Cursor/User` on macOS.
 */
export async function userDirs(ctx: PluginContext): Promise<string[]> {
  const home = await ctx.env.home();
  const config = configSchema.safeParse(ctx.config);
  const configured = config.success ? (config.data.paths ?? []) : [];
  if (configured.length > 0) {
    const dirs: string[] = [];
    for (const entry of configured) dirs.push(await userDirOf(ctx, expandHome(entry, home)));
    return dirs;
  }
  const xdg = await ctx.env.get('XDG_CONFIG_HOME');
  const configHome = xdg !== undefined && xdg.startsWith('/') ? xdg : joinPath(home, '.config');
  return [joinPath(configHome, 'Cursor/User'), joinPath(home, 'Library/Application Support/Cursor/User')];
}

/** The `User` dirs whose global database exists. */
export async function installedUserDirs(ctx: PluginContext): Promise<string[]> {
  const found: string[] = [];
  for (const dir of await userDirs(ctx)) {
    if ((await ctx.fs.stat(globalDatabase(dir)))?.isFile && !found.includes(dir)) found.push(dir);
  }
  return found;
}
