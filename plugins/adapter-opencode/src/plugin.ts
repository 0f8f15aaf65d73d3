import { defineAdapter, type IngestSource, type PluginContext } from '@rimuru/sdk';
import { parseDatabase } from './database-source';
import { dataRoots } from './data-roots';
import { legacySources, parseLegacyFile } from './legacy-files';

/** `opencode.db`, and the per-channel databases newer builds write beside it (`opencode-beta.db`). */
const DATABASE_FILE = /^opencode(-[A-Za-z0-9_-]+)?\.db$/;

async function databases(ctx: PluginContext, root: string): Promise<string[]> {
  const entries = await ctx.fs.list(root);
  return entries.filter((entry) => entry.isFile && DATABASE_FILE.test(entry.name)).map((entry) => entry.path).sort();
}

async function existingRoots(ctx: PluginContext): Promise<string[]> {
  const roots: string[] = [];
  for (const root of await dataRoots(ctx)) {
    if ((await ctx.fs.stat(root))?.isDirectory) roots.push(root);
  }
  return roots;
}

async function latestVersion(ctx: PluginContext, file: string): Promise<string | undefined> {
  try {
    const rows = await ctx.sqlite.query<{ version: unknown }>(file, 'SELECT version FROM session ORDER BY time_updated DESC LIMIT 1');
    const version = rows[0]?.version;
    return typeof version === 'string' && version !== '' ? version : undefined;
  } catch {
    return undefined; // an unreadable database is reported by parse, not by discovery
  }
}

/**
 * OpenCode (sst/opencode). Reads its SQLite database and the legacy JSON files; a message in
 * both is counted once, from the database (see `sources`).
 */
export default defineAdapter({
  async discover(ctx) {
    const roots = await existingRoots(ctx);
    let version: string | undefined;
    for (const root of roots) {
      for (const file of await databases(ctx, root)) version ??= await latestVersion(ctx, file);
    }
    return { installed: roots.length > 0, paths: roots.length > 0 ? roots : await dataRoots(ctx), ...(version ? { version } : {}) };
  },

  /**
   * Databases first, each `keep-larger` (a message row is rewritten as it grows), then legacy
   * files, each `ignore`. So a message found in both keeps the database's copy: when the
   * database is ingested first the legacy copy is ignored, and when a legacy copy was stored by
   * an earlier run (before OpenCode moved to SQLite) the database's fuller copy replaces it.
   */
  async sources(ctx) {
    const sources: IngestSource[] = [];
    for (const root of await existingRoots(ctx)) {
      for (const path of await databases(ctx, root)) sources.push({ id: path, kind: 'sqlite', path, conflict: 'keep-larger' });
      sources.push(...(await legacySources(ctx, root)));
    }
    return sources;
  },

  async parse(input, ctx) {
    if (input.source.kind === 'sqlite') return parseDatabase(input.source.path, input.state, ctx);
    return parseLegacyFile(input.source.path, input.text);
  },
});

