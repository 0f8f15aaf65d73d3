import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors';
import type { IngestOptions, IngestRunSummary } from './ingestion-engine';

/** A folder to watch and the agents whose data is in it. */
export interface WatchTarget {
  path: string;
  agentTypes: string[];
}

/** Where the watcher listens: adapter roots (recursively, to see new files) and the folders of known sources. */
export interface WatchTargets {
  roots: WatchTarget[];
  directories: WatchTarget[];
}

/** What the watcher needs from the engine. */
export interface WatchedEngine {
  ingestAll(options?: IngestOptions): Promise<IngestRunSummary>;
  watchTargets(): WatchTargets;
}

export interface IngestionWatcherOptions {
  engine: WatchedEngine;
  logger: Logger;
  /** A full ingest this often even without file events (events can be missed: network file systems, inotify limits). */
  rescanIntervalMs: number;
  /** Events closer together than this make one ingest. */
  debounceMs?: number;
  /** Called after every ingest the watcher ran. */
  onIngest?: (summary: IngestRunSummary) => void;
}

const DEFAULT_DEBOUNCE_MS = 150;

interface Watched {
  watcher: FSWatcher;
  agentTypes: string[];
}

/**
 * Keeps the store current while the kernel runs: a file-system event ingests (debounced)
 * the agents whose folder it came from, and a periodic rescan ingests every agent as a
 * fallback; the engine reads only what is new either way. After each run the watched folders
 * follow what the adapters listed. Every watcher and timer is released by {@link stop}.
 */
export class IngestionWatcher {
  private readonly watchers = new Map<string, Watched>();
  private readonly changed = new Set<string>();
  private debounce?: NodeJS.Timeout;
  private rescan?: NodeJS.Timeout;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: IngestionWatcherOptions) {
    this.log = options.logger.child({ component: 'ingestion-watcher' });
  }

  /** Starts watching what the last ingest saw, and the periodic rescan. */
  start(): void {
    if (this.stopped) return;
    this.follow(this.options.engine.watchTargets());
    this.rescan = setInterval(() => this.trigger(undefined), this.options.rescanIntervalMs);
    this.rescan.unref();
  }

  /** Closes every watcher and timer; resolves when an ingest it started has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.rescan) clearInterval(this.rescan);
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.running;
  }

  /** The folders being watched now. */
  watching(): string[] {
    return [...this.watchers.keys()].sort();
  }

  private onEvent(agentTypes: readonly string[]): void {
    if (this.stopped) return;
    for (const agentType of agentTypes) this.changed.add(agentType);
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const agents = [...this.changed];
      this.changed.clear();
      this.trigger(agents.length > 0 ? agents : undefined);
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /** Ingests the given agents (a file event), or all of them (the rescan). */
  private trigger(agentTypes: string[] | undefined): void {
    if (this.stopped) return;
    this.running = this.options.engine
      .ingestAll(agentTypes === undefined ? {} : { agentTypes })
      .then((summary) => {
        if (summary.records.inserted + summary.records.updated > 0 || summary.errors.length > 0) {
          this.log.debug({ agents: agentTypes ?? 'all', records: summary.records, errors: summary.errors.length, durationMs: summary.durationMs }, 'ingested');
        }
        this.options.onIngest?.(summary);
        if (!this.stopped) this.follow(this.options.engine.watchTargets());
      })
      .catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'ingest failed; the next change or rescan retries'));
  }

  /** Watches the new targets and lets go of the ones no longer listed. */
  private follow(targets: WatchTargets): void {
    const wanted = new Map<string, { recursive: boolean; agentTypes: string[] }>();
    for (const root of targets.roots) wanted.set(root.path, { recursive: true, agentTypes: root.agentTypes });
    for (const directory of targets.directories) {
      const underRoot = targets.roots.some((root) => directory.path.startsWith(`${root.path}/`));
      if (!wanted.has(directory.path) && !underRoot) wanted.set(directory.path, { recursive: false, agentTypes: directory.agentTypes });
    }
    for (const [path, watched] of this.watchers) {
      if (!wanted.has(path)) {
        watched.watcher.close();
        this.watchers.delete(path);
      }
    }
    for (const [path, target] of wanted) {
      const existing = this.watchers.get(path);
      if (existing) {
        existing.agentTypes = target.agentTypes;
        continue;
      }
      const watcher = this.open(path, target.recursive);
      if (watcher) this.watchers.set(path, { watcher, agentTypes: target.agentTypes });
    }
  }

  private open(path: string, recursive: boolean): FSWatcher | undefined {
    const listen = (options: { recursive: boolean }): FSWatcher => {
      const watcher = watch(path, { persistent: false, recursive: options.recursive }, () => this.onEvent(this.watchers.get(path)?.agentTypes ?? []));
      watcher.on('error', (error) => {
        this.log.debug({ path, err: errorMessage(error) }, 'watcher failed; the periodic rescan covers it');
        watcher.close();
        this.watchers.delete(path);
      });
      return watcher;
    };
    try {
      return listen({ recursive });
    } catch (error) {
      if (recursive) {
        try {
          return listen({ recursive: false });
        } catch {
          // Reported below.
        }
      }
      this.log.debug({ path, err: errorMessage(error) }, 'cannot watch; the periodic rescan covers it');
      return undefined;
    }
  }
}
