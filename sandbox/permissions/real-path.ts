import { promises as fsp, realpathSync } from 'node:fs';
import * as path from 'node:path';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The symlink-free absolute path of `absolutePath`. For a path that does not exist yet (a
 * file about to be written, a root not created yet) it is the real path of the nearest
 * existing ancestor joined with the rest, so `root/link-to-etc/new-file` still resolves
 * through the link and is judged by where it would really land.
 */
export async function resolveRealPath(absolutePath: string): Promise<string> {
  const normalised = path.resolve(absolutePath);
  const missing: string[] = [];
  let current = normalised;
  for (;;) {
    try {
      const real = await fsp.realpath(current);
      return missing.length === 0 ? real : path.join(real, ...missing.reverse());
    } catch (error) {
      if (!isMissing(error)) throw error;
      const parent = path.dirname(current);
      if (parent === current) return normalised;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** {@link resolveRealPath}, synchronously: cheaper than its promise round trips for a hot path of many files. */
export function resolveRealPathSync(absolutePath: string): string {
  const normalised = path.resolve(absolutePath);
  const missing: string[] = [];
  let current = normalised;
  for (;;) {
    try {
      const real = realpathSync.native(current);
      return missing.length === 0 ? real : path.join(real, ...missing.reverse());
    } catch (error) {
      if (!isMissing(error)) throw error;
      const parent = path.dirname(current);
      if (parent === current) return normalised;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** True when `target` is `root` itself or lies below it (both already absolute and normalised). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  if (relative === '') return true;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
