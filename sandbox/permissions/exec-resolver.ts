import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';

async function isExecutableFile(candidate: string): Promise<boolean> {
  try {
    const stat = await fsp.stat(candidate);
    if (!stat.isFile()) return false;
    await fsp.access(candidate, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks a bare command name up on `PATH` the way a shell would; `null` when not found. */
export async function findOnPath(name: string, pathVariable: string | undefined): Promise<string | null> {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** An absolute executable path → its real path; `null` when it is missing or not executable. */
export async function realExecutable(absolutePath: string): Promise<string | null> {
  if (!(await isExecutableFile(absolutePath))) return null;
  try {
    return await fsp.realpath(absolutePath);
  } catch {
    return null;
  }
}

/** A bare name has no path separator: it is looked up on PATH. */
export function isBareName(binary: string): boolean {
  return binary !== '' && !binary.includes('/') && !binary.includes('\\');
}
