import { statSync, type BigIntStats } from 'node:fs';

/**
 * What a plugin's answer depended on in the file system, so the host can tell later — with a
 * stat per entry — whether asking again would give the same answer. The ingestion engine uses
 * it to keep an adapter's `discover` and `sources` between runs: a listing only changes when a
 * directory it read gained or lost an entry (its mtime moves) or a file it read changed.
 *
 * - `dir`: a directory whose entries were listed (fs.list, every directory a glob walked).
 * - `file`: a file or directory that was stat-ed or read.
 * - `missing`: a path that did not exist.
 */
export type FsObservation =
  | { kind: 'dir'; path: string; ino: string; mtimeNs: string }
  | { kind: 'file'; path: string; ino: string; size: string; mtimeNs: string; type: 'file' | 'dir' | 'other' }
  | { kind: 'missing'; path: string };

/**
 * Timestamps on Linux file systems come from a coarse clock (a few ms): an entry added in the
 * same tick as a listing, after it, leaves the directory's mtime as it was. An answer that saw
 * anything modified this recently is not kept.
 */
export const FRESH_MTIME_MS = 2_000;

function typeOf(stat: BigIntStats): 'file' | 'dir' | 'other' {
  return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other';
}

/** Collects the observations of one plugin call; `opaque` once it did something a stat cannot re-check. */
export class FsObservationRecorder {
  private readonly seen = new Map<string, FsObservation>();
  private opaqueReason: string | null = null;
  private freshest = 0n;

  /** Records a directory whose entries were read. Stats it itself (before the caller reads it). */
  directory(realPath: string): void {
    this.statAndAdd('dir', realPath);
  }

  /** Records a file or directory that was stat-ed or read; a missing one as missing. */
  file(realPath: string): void {
    this.statAndAdd('file', realPath);
  }

  missing(path: string): void {
    const key = `missing:${path}`;
    if (!this.seen.has(key)) this.seen.set(key, { kind: 'missing', path });
  }

  /** The call did something the observations cannot stand for (another capability, a write, a symlink). */
  opaque(reason: string): void {
    this.opaqueReason ??= reason;
  }

  private statAndAdd(kind: 'dir' | 'file', path: string): void {
    const key = `${kind}:${path}`;
    if (this.seen.has(key)) return;
    let stat: BigIntStats;
    try {
      stat = statSync(path, { bigint: true });
    } catch {
      this.missing(path);
      return;
    }
    if (stat.mtimeNs > this.freshest) this.freshest = stat.mtimeNs;
    this.seen.set(
      key,
      kind === 'dir'
        ? { kind, path, ino: String(stat.ino), mtimeNs: String(stat.mtimeNs) }
        : { kind, path, ino: String(stat.ino), size: String(stat.size), mtimeNs: String(stat.mtimeNs), type: typeOf(stat) },
    );
  }

  /**
   * The observations, or why they cannot be kept: the call was opaque, or something it saw was
   * modified within {@link FRESH_MTIME_MS} of `nowMs` (a later change in the same clock tick
   * would not show).
   */
  result(nowMs: number): { observations: FsObservation[] } | { notKept: string } {
    if (this.opaqueReason !== null) return { notKept: this.opaqueReason };
    if (this.freshest > BigInt(Math.floor(nowMs - FRESH_MTIME_MS)) * 1_000_000n) return { notKept: 'something it read changed in the last 2 s' };
    return { observations: [...this.seen.values()] };
  }
}

/** What a stat tells an observation: identity, size, modification time (ns) and type. */
export interface StatFacts {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  type: 'file' | 'dir' | 'other';
}

/** Stats `path` (following symlinks, like the observations were made): `undefined` when it does not exist; throws on any other failure. */
export type StatFactsOf = (path: string) => StatFacts | undefined;

export const statFacts: StatFactsOf = (path) => {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
  return stat === undefined ? undefined : { ino: stat.ino, size: stat.size, mtimeNs: stat.mtimeNs, type: typeOf(stat) };
};

/** True when every observation still holds: the same call now would see the same file system. */
export function observationsHold(observations: readonly FsObservation[], stat: StatFactsOf = statFacts): boolean {
  return firstChanged(observations, stat) === null;
}

/** The first observation that no longer holds, or `null`. `stat` may answer from stats taken a moment ago (see `StatPrefetch`). */
export function firstChanged(observations: readonly FsObservation[], stat: StatFactsOf = statFacts): FsObservation | null {
  for (const observation of observations) {
    let facts: StatFacts | undefined;
    try {
      facts = stat(observation.path);
    } catch {
      return observation;
    }
    if (observation.kind === 'missing') {
      if (facts !== undefined) return observation;
      continue;
    }
    if (facts === undefined || String(facts.ino) !== observation.ino || String(facts.mtimeNs) !== observation.mtimeNs) return observation;
    if (observation.kind === 'file' && (String(facts.size) !== observation.size || facts.type !== observation.type)) return observation;
  }
  return null;
}
