import type { PluginContext } from '@rimuru/sdk';
import { joinPath, statIfReadable, type CopilotHome } from './copilot-homes';
import { isJsonObject, nonEmptyString } from './json-fields';

const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
/** Bytes read from the head of an events file to find its `session.start`. */
const HEAD_BYTES = 64 * 1024;

/**
 * The installed Copilot CLI version: the newest release in its auto-update cache
 * (`pkg/<platform>/<version>/`), else the `copilotVersion` of the most recently written
 * session's `session.start`. `undefined` when neither says.
 */
export async function latestVersion(ctx: PluginContext, homes: readonly CopilotHome[], sessionFiles: readonly string[]): Promise<string | undefined> {
  const cached = await cachedReleases(ctx, homes);
  if (cached.length > 0) return cached.sort(compareVersions).at(-1);
  return versionOfNewestSession(ctx, sessionFiles);
}

async function cachedReleases(ctx: PluginContext, homes: readonly CopilotHome[]): Promise<string[]> {
  const versions: string[] = [];
  for (const home of homes) {
    const pkg = joinPath(home.dir, 'pkg');
    if (!(await statIfReadable(ctx, pkg))?.isDirectory) continue;
    for (const platform of await ctx.fs.list(pkg)) {
      if (!platform.isDirectory) continue;
      for (const release of await ctx.fs.list(platform.path)) {
        if (release.isDirectory && VERSION.test(release.name)) versions.push(release.name);
      }
    }
  }
  return versions;
}

async function versionOfNewestSession(ctx: PluginContext, sessionFiles: readonly string[]): Promise<string | undefined> {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const path of sessionFiles) {
    const stat = await statIfReadable(ctx, path);
    if (stat?.isFile && (newest === undefined || stat.mtimeMs > newest.mtimeMs)) newest = { path, mtimeMs: stat.mtimeMs };
  }
  if (newest === undefined) return undefined;
  const { data } = await ctx.fs.read(newest.path, { length: HEAD_BYTES });
  for (const line of data.split('\n')) {
    if (!line.includes('"session.start"')) continue;
    try {
      const event: unknown = JSON.parse(line);
      if (isJsonObject(event) && isJsonObject(event.data)) return nonEmptyString(event.data.copilotVersion);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const parts = (version: string): number[] => version.split(/[-+]/)[0]!.split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
