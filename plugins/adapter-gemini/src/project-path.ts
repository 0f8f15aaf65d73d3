import type { PluginContext } from '@rimuru/sdk';
import { baseName, joinPath, parentDir, statIfReadable } from './gemini-homes';
import { isJsonObject } from './json-fields';

const MAX_MARKER_BYTES = 16 * 1024;
const MAX_REGISTRY_BYTES = 4 * 1024 * 1024;

/**
 * The project a chat recording belongs to. Gemini CLI names each project's directory under
 * `tmp/` with a slug and writes the project's path into `<slug>/.project_root`, and keeps the
 * path → slug map in `~/.gemini/projects.json`; older versions used a SHA-256 of the path,
 * which cannot be turned back into one (`undefined` then; the hash stays in the metadata).
 */
export async function projectPathOf(ctx: PluginContext, projectDir: string): Promise<string | undefined> {
  const marker = joinPath(projectDir, '.project_root');
  const markerStat = await statIfReadable(ctx, marker);
  if (markerStat?.isFile && markerStat.size <= MAX_MARKER_BYTES) {
    const owner = (await ctx.fs.read(marker, { length: MAX_MARKER_BYTES })).data.trim();
    if (owner.startsWith('/')) return owner;
  }
  // `<home>/tmp/<slug>` → `<home>/projects.json`
  const registry = joinPath(parentDir(parentDir(projectDir)), 'projects.json');
  const registryStat = await statIfReadable(ctx, registry);
  if (!registryStat?.isFile || registryStat.size > MAX_REGISTRY_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse((await ctx.fs.read(registry, { length: MAX_REGISTRY_BYTES })).data);
    const projects = isJsonObject(parsed) && isJsonObject(parsed.projects) ? parsed.projects : {};
    const slug = baseName(projectDir);
    return Object.entries(projects).find(([path, id]) => id === slug && path.startsWith('/'))?.[0];
  } catch {
    return undefined;
  }
}
