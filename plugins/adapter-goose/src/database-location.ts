import type { PluginContext } from '@rimuru/sdk';
import * as z from 'zod/mini';

const configSchema = z.object({ paths: z.optional(z.array(z.string().check(z.minLength(1)))) });

const DATABASE = 'sessions.db';
/** Where a configured directory may hold the database: the sessions dir, Goose's data dir, or a `GOOSE_PATH_ROOT`. */
const UNDER_A_DIRECTORY = [DATABASE, `sessions/${DATABASE}`, `data/sessions/${DATABASE}`];

function join(base: string, relative: string): string {
  return `${base.replace(/\/+$/, '')}/${relative}`;
}

function expandHome(entry: string, home: string): string {
  return entry === '~' || entry.startsWith('~/') ? home + entry.slice(1) : entry;
}

/**
 * The candidate database files, in order: each of `agents.goose.paths` (a `sessions.db`, or a
 * directory holding one as Goose lays it out), else `$GOOSE_PATH_ROOT/data/sessions/sessions.db`,
 * else `$XDG_DATA_HOME/goose/sessions/sessions.db` (absolute values only), else
 * `~/.local/share/goose/sessions/sessions.db`.
 */
export async function databaseCandidates(ctx: PluginContext): Promise<string[]> {
  const home = await ctx.env.home();
  const config = configSchema.safeParse(ctx.config);
  const configured = config.success ? (config.data.paths ?? []) : [];
  if (configured.length > 0) {
    const files: string[] = [];
    for (const entry of configured.map((path) => expandHome(path, home))) {
      const stat = await ctx.fs.stat(entry);
      if (stat?.isDirectory) files.push(...UNDER_A_DIRECTORY.map((relative) => join(entry, relative)));
      else files.push(entry);
    }
    return files;
  }
  const root = await ctx.env.get('GOOSE_PATH_ROOT');
  if (root) return [join(root, `data/sessions/${DATABASE}`)];
  const xdg = await ctx.env.get('XDG_DATA_HOME');
  const dataHome = xdg !== undefined && xdg.startsWith('/') ? xdg : join(home, '.local/share');
  return [join(dataHome, `goose/sessions/${DATABASE}`)];
}

/** The candidates that exist, as regular files. */
export async function existingDatabases(ctx: PluginContext): Promise<string[]> {
  const found: string[] = [];
  for (const file of await databaseCandidates(ctx)) {
    if ((await ctx.fs.stat(file))?.isFile && !found.includes(file)) found.push(file);
  }
  return found;
}
