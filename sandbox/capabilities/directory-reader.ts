import { constants as fsConstants, promises as fsp, type Dirent } from 'node:fs';
import type { FileStat } from '../../sdk/src/capabilities';
import type { PermissionGate } from '../permissions';

/** Thrown by {@link readDirectoryVerified} when a directory holds more entries than allowed. */
export class TooManyEntries extends Error {}

/**
 * Lists a directory the gate has already approved, without trusting the path a second time:
 * the directory is opened (no symlink follow, then verified by the gate), and on Linux its
 * entries are read through that open descriptor, so swapping the directory for a symlink
 * after the check reads nothing outside the roots.
 */
export async function readDirectoryVerified(gate: PermissionGate, realDir: string, maxEntries: number): Promise<Dirent[]> {
  const handle = await gate.openFile('fs.read', realDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NONBLOCK);
  try {
    const readable = process.platform === 'linux' ? `/proc/self/fd/${handle.fd}` : realDir;
    const entries: Dirent[] = [];
    for await (const entry of await fsp.opendir(readable)) {
      if (entries.length >= maxEntries) throw new TooManyEntries(`more than ${maxEntries} entries`);
      entries.push(entry);
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    await handle.close();
  }
}

/**
 * What a symlinked entry points to, if it points inside the plugin's read roots; `null`
 * otherwise, so a listing never reveals what lies outside them.
 */
export async function statSymlinkTarget(gate: PermissionGate, linkPath: string): Promise<FileStat | null> {
  try {
    const target = await fsp.realpath(linkPath);
    if (!(await gate.isAllowedRealPath('fs.read', target))) return null;
    const stat = await fsp.stat(target);
    return { path: linkPath, isFile: stat.isFile(), isDirectory: stat.isDirectory(), size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
  } catch {
    return null;
  }
}
