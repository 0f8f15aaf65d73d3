import picomatch from 'picomatch';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import type { PermissionGate } from '../permissions';
import { readDirectoryVerified, statSymlinkTarget } from './directory-reader';
import type { FsObservationRecorder } from './fs-observations';

export interface GlobWalk {
  /** Real path of the root, as approved by the gate. */
  realRoot: string;
  /** The root as the plugin spelled it; results are reported under it. */
  reportedRoot: string;
  pattern: string;
  maxResults: number;
  maxDirectories: number;
  maxEntriesPerDirectory: number;
  /** Told of every directory the walk reads (before it reads it) and of symlinks it follows. */
  recorder?: FsObservationRecorder | null;
}

/** Directories whose listings a walk reads at once. */
const DIRECTORIES_READ_AT_ONCE = 16;

/** Thrown when a walk would visit more directories than allowed. */
export class GlobTooWide extends Error {}

/**
 * Walks `realRoot` breadth first and returns the files whose path relative to the root
 * matches `pattern` (`**`, `*`, `?`, braces and classes as picomatch reads them; dotfiles
 * included, since agent data lives in dot-directories). Symlinked directories are not entered
 * (no loops, no leaving the root); a symlinked file counts only when it points inside the
 * read roots. Without `**` the walk stops at the pattern's depth.
 */
export async function globWalk(gate: PermissionGate, walk: GlobWalk): Promise<string[]> {
  const matches = picomatch(walk.pattern, { dot: true });
  const maxDepth = walk.pattern.includes('**') || walk.pattern.includes('{') ? Infinity : walk.pattern.split('/').length;
  const results: string[] = [];
  const queue: Array<{ real: string; relative: string; depth: number }> = [{ real: walk.realRoot, relative: '', depth: 0 }];
  let visited = 0;

  while (queue.length > 0 && results.length < walk.maxResults) {
    // The next few directories are read at once (each read is a few file system round trips);
    // they are then taken in queue order, so the walk finds, stops and fails exactly as one
    // that read them one by one. A read that fails is reported only when its turn comes.
    const batch = queue.splice(0, DIRECTORIES_READ_AT_ONCE);
    const listings = batch.map((dir) => {
      walk.recorder?.directory(dir.real);
      return readDirectoryVerified(gate, dir.real, walk.maxEntriesPerDirectory).then(
        (entries) => ({ entries }),
        (error: unknown) => ({ error }),
      );
    });
    for (let index = 0; index < batch.length; index++) {
      const dir = batch[index] as { real: string; relative: string; depth: number };
      visited += 1;
      if (visited > walk.maxDirectories) {
        throw new GlobTooWide(`the walk would visit more than ${walk.maxDirectories} directories; use a narrower root or pattern`);
      }
      const listing = await (listings[index] as Promise<{ entries: Dirent[] } | { error: unknown }>);
      if ('error' in listing) throw listing.error;
      for (const entry of listing.entries) {
        const relative = dir.relative === '' ? entry.name : `${dir.relative}/${entry.name}`;
        const real = path.join(dir.real, entry.name);
        if (entry.isDirectory()) {
          if (dir.depth + 1 < maxDepth) queue.push({ real, relative, depth: dir.depth + 1 });
          continue;
        }
        if (!matches(relative)) continue;
        if (entry.isSymbolicLink()) walk.recorder?.opaque('a glob met a symlink');
        const isFile = entry.isFile() || (entry.isSymbolicLink() && (await statSymlinkTarget(gate, real))?.isFile === true);
        if (isFile) results.push(path.join(walk.reportedRoot, ...relative.split('/')));
        if (results.length >= walk.maxResults) break;
      }
      if (results.length >= walk.maxResults) break;
    }
    // Reads started for directories the walk did not get to must not fail unobserved.
    await Promise.all(listings);
  }
  return results.sort();
}
