import { CapabilityError, type PluginContext } from '@rimuru/sdk';
import * as z from 'zod/mini';
import { joinPath, workspaceStorage } from './user-dirs';

const workspaceFileSchema = z.object({ folder: z.optional(z.string()), workspace: z.optional(z.string()) });
const composerListSchema = z.object({ allComposers: z.array(z.object({ composerId: z.string() })) });

/** `file:///home/dev/my%20app` → `/home/dev/my app`; a remote URI stays as it is. */
export function folderPath(uri: string): string {
  if (!uri.startsWith('file://')) return uri;
  try {
    return decodeURIComponent(uri.slice('file://'.length));
  } catch {
    return uri.slice('file://'.length);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Which folder each composer was opened in. Cursor keeps one `workspaceStorage/<hash>/` per
 * opened folder: `workspace.json` names the folder, and the `composer.composerData` item of its
 * `state.vscdb` lists the composers started there. Workspaces that cannot be read are passed
 * over: the project path is a nicety, the composers are read from the global database.
 */
export async function composerFolders(ctx: PluginContext, userDir: string, wanted: ReadonlySet<string>): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  const root = workspaceStorage(userDir);
  if (wanted.size === 0 || !(await ctx.fs.stat(root))?.isDirectory) return folders;
  for (const entry of await ctx.fs.list(root)) {
    if (!entry.isDirectory || folders.size === wanted.size) continue;
    const database = joinPath(entry.path, 'state.vscdb');
    const descriptor = joinPath(entry.path, 'workspace.json');
    if (!(await ctx.fs.stat(database))?.isFile || !(await ctx.fs.stat(descriptor))?.isFile) continue;
    const workspace = workspaceFileSchema.safeParse(parseJson((await ctx.fs.read(descriptor)).data));
    const uri = workspace.success ? (workspace.data.folder ?? workspace.data.workspace) : undefined;
    if (!uri) continue;
    let rows: Array<{ value: unknown }>;
    try {
      rows = await ctx.sqlite.query<{ value: unknown }>(database, "SELECT CAST(value AS TEXT) AS value FROM ItemTable WHERE key = 'composer.composerData'");
    } catch (error) {
      if (error instanceof CapabilityError && error.code === 'E2009') continue;
      throw error;
    }
    const value = rows[0]?.value;
    const list = composerListSchema.safeParse(typeof value === 'string' ? parseJson(value) : undefined);
    if (!list.success) continue;
    for (const { composerId } of list.data.allComposers) {
      if (wanted.has(composerId)) folders.set(composerId, folderPath(uri));
    }
  }
  return folders;
}
