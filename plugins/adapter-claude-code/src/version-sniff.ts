import type { PluginContext } from '@rimuru/sdk';

/** Bytes read from the end of the newest transcript to find the version that wrote it. */
const TAIL_BYTES = 64 * 1024;
const VERSION = /"version":"(\d+\.\d+\.\d+[\w.+-]*)"/g;
/** Capability calls one listing's stats keep in flight. */

/**
 * The Claude Code version that wrote the newest transcript (every line carries `version`):
 * the newest project folder, its newest `.jsonl`, the last version in its tail. `undefined`
 * when there is no transcript or none names a version.
 */
export async function latestVersion(ctx: PluginContext, projectsDirs: readonly string[]): Promise<string | undefined> {
  try {
    const project = await newest(ctx, projectsDirs, (entry) => entry.isDirectory);
    if (project === undefined) return undefined;
    const transcript = await newest(ctx, [project], (entry) => entry.isFile && entry.name.endsWith('.jsonl'));
    if (transcript === undefined) return undefined;
    const stat = await ctx.fs.stat(transcript);
    if (stat === null) return undefined;
    const offset = Math.max(0, stat.size - TAIL_BYTES);
    const { data } = await ctx.fs.read(transcript, { offset, length: TAIL_BYTES });
    let version: string | undefined;
    for (const match of data.matchAll(VERSION)) version = match[1];
    return version;
  } catch (error) {
    ctx.log.debug('could not read the Claude Code version from a transcript', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

async function newest(
  ctx: PluginContext,
  dirs: readonly string[],
  accept: (entry: { name: string; isFile: boolean; isDirectory: boolean }) => boolean,
): Promise<string | undefined> {
  let best: { path: string; mtimeMs: number } | undefined;
  for (const dir of dirs) {
    // One call: the host stats a folder's hundreds of transcripts, not one round trip each.
    for (const entry of await ctx.fs.list(dir, { stat: true })) {
      if (!accept(entry) || entry.mtimeMs === undefined) continue;
      if (best === undefined || entry.mtimeMs > best.mtimeMs) best = { path: entry.path, mtimeMs: entry.mtimeMs };
    }
  }
  return best?.path;
}
