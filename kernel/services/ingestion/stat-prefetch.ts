import { isAbsolute } from 'node:path';
import { normalizedAbsolute } from '../../../sandbox/permissions/normalized-path';
import { Worker } from 'node:worker_threads';
import { statFacts, type StatFacts, type StatFactsOf } from '../../../sandbox/capabilities/fs-observations';

/**
 * The worker's code (evaluated, so it runs the same from `dist/`, from jest's TypeScript and
 * from the CLI bundle): stats every path it is sent and answers with four bigints a path —
 * type (-1 could not stat, 0 missing, 1 file, 2 directory, 3 other), inode, size, mtime in ns.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
parentPort.once('message', (paths) => {
  const facts = new BigInt64Array(paths.length * 4);
  paths.forEach((path, index) => {
    const at = index * 4;
    let stat;
    try {
      stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    } catch {
      facts[at] = -1n;
      return;
    }
    if (stat === undefined) return;
    facts[at] = stat.isFile() ? 1n : stat.isDirectory() ? 2n : 3n;
    facts[at + 1] = stat.ino;
    facts[at + 2] = stat.size;
    facts[at + 3] = stat.mtimeNs;
  });
  parentPort.postMessage(facts, [facts.buffer]);
});
`;

const TYPES = [undefined, 'file', 'dir', 'other'] as const;

/**
 * Stats a known list of paths on a worker thread while the caller does something else: the
 * first ingest's check of which sources changed — a stat each, 14,000 on a machine with 14,000
 * transcripts, ~70 ms — runs beside the main thread's check of the kept listings (~8,000 more
 * stats) instead of after it.
 *
 * {@link lookup} answers from those stats, taken a moment earlier: a change made after them is
 * the next run's, as if it had been made just after this run's own stats. A path it was not
 * given, or could not stat, is stat-ed on the spot; if the worker fails, every path is.
 */
export class StatPrefetch {
  private readonly index = new Map<string, number>();
  private facts: BigInt64Array | null = null;
  readonly ready: Promise<void>;

  private constructor(paths: readonly string[] | Promise<readonly string[]>) {
    this.ready = this.run(paths);
  }

  /**
   * Starts statting `paths` (absolute ones; others are left to {@link lookup}'s own stat). The
   * worker starts at once; given a promise, it boots while the paths are being worked out.
   */
  static start(paths: readonly string[] | Promise<readonly string[]>): StatPrefetch {
    return new StatPrefetch(paths);
  }

  /** True when `path` (absolute, normalised) was given to the worker. */
  has(path: string): boolean {
    return this.index.has(path);
  }

  /** What a stat of `path` says (see {@link StatFactsOf}); from the prefetched stats once {@link ready}. */
  readonly lookup: StatFactsOf = (path) => {
    const at = this.facts === null ? undefined : this.index.get(path);
    if (at === undefined) return statFacts(path);
    const facts = this.facts as BigInt64Array;
    const type = Number(facts[at * 4]);
    if (type === -1) return statFacts(path);
    if (type === 0) return undefined;
    return { type: TYPES[type] as StatFacts['type'], ino: facts[at * 4 + 1] as bigint, size: facts[at * 4 + 2] as bigint, mtimeNs: facts[at * 4 + 3] as bigint };
  };

  /** The paths to send, each once, keyed as the callers will ask: absolute, normalised (`PermissionGate.absolutePath`). */
  private indexed(paths: readonly string[]): string[] {
    const unique: string[] = [];
    for (const path of paths) {
      if (!isAbsolute(path)) continue;
      const key = normalizedAbsolute(path);
      if (this.index.has(key)) continue;
      this.index.set(key, unique.length);
      unique.push(key);
    }
    return unique;
  }

  private run(paths: readonly string[] | Promise<readonly string[]>): Promise<void> {
    return new Promise<void>((settle) => {
      let worker: Worker;
      try {
        worker = new Worker(WORKER_SOURCE, { eval: true });
      } catch {
        settle();
        return;
      }
      worker.unref();
      let sent: string[] = [];
      const done = (facts: BigInt64Array | null): void => {
        if (facts !== null && facts.length === sent.length * 4) this.facts = facts;
        settle();
        void worker.terminate();
      };
      // Checked by tag, not instanceof: under jest the array comes from another realm.
      worker.once('message', (facts: unknown) => done(Object.prototype.toString.call(facts) === '[object BigInt64Array]' ? (facts as BigInt64Array) : null));
      worker.once('error', () => done(null));
      worker.once('exit', () => done(null));
      Promise.resolve(paths).then(
        (list) => {
          sent = this.indexed(list);
          if (sent.length === 0) done(null);
          else worker.postMessage(sent);
        },
        () => done(null),
      );
    });
  }
}
