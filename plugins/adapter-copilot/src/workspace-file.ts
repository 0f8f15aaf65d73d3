import type { PluginContext } from '@rimuru/sdk';
import { statIfReadable } from './copilot-homes';

/** `workspace.yaml` is a few lines; anything bigger is not one. */
const MAX_WORKSPACE_BYTES = 64 * 1024;
const CWD_LINE = /^cwd:[ \t]*(.+?)[ \t]*$/m;

/**
 * The `cwd:` of a session's `workspace.yaml` (written beside `events.jsonl`), for sessions whose
 * `session.start` carries no working directory. Only that one top-level scalar is read, plain
 * or quoted; `undefined` when the file is missing, too big or has none.
 */
export async function workspaceCwd(ctx: PluginContext, path: string): Promise<string | undefined> {
  const stat = await statIfReadable(ctx, path);
  if (!stat?.isFile || stat.size > MAX_WORKSPACE_BYTES) return undefined;
  const { data } = await ctx.fs.read(path, { length: MAX_WORKSPACE_BYTES });
  const raw = CWD_LINE.exec(data)?.[1];
  if (raw === undefined) return undefined;
  const unquoted = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  return unquoted.startsWith('/') ? unquoted : undefined;
}
