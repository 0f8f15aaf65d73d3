import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors';
import type { IngestRunSummary, IngestionEngine } from './ingestion-engine';

/** Where the watcher listens: adapter roots (recursively, to see new files) and the folders of known sources. */
export interface WatchTargets {
  roots: string[];
  directories: string[];
}

export interface IngestionWatcherOptions {
  engine: Pick<IngestionEngine, 'ingestAll' | 'watchTargets'>;
  logger: Logger;
  /** A full ingest this often even without file events (events can be missed: network file systems, inotify limits). */
  rescanIntervalMs: number;
  /** Events closer together than this make one ingest. */
  debounceMs?: number;
  /** Called after every ingest the watcher ran. */
  onIngest?: (summary: IngestRunSummary) => void;
}

const DEFAULT_DEBOUNCE_MS = 150;

/**
 * Keeps the store current while the kernel runs: file-system events on the agents' data
 * (debounced) and a periodic rescan as a fallback both run the engine, which reads only what
 * is new. After each run the watched folders follow the sources the adapters listed. Every
 * watcher and timer it creates is released by {@link stop}.
 */
export class IngestionWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
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
    this.rescan = setInterval(() => this.trigger('rescan'), this.options.rescanIntervalMs);
    this.rescan.unref();
  }

  /** Closes every watcher and timer; resolves when an ingest it started has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.rescan) clearInterval(this.rescan);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.running;
  }

  /** The paths being watched now (for status output and tests). */
  watching(): string[] {
    return [...this.watchers.keys()].sort();
  }

  private schedule(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.trigger('change');
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.debounce.unref();
  }

  private trigger(reason: 'change' | 'rescan'): void {
    if (this.stopped) return;
    this.running = this.options.engine
      .ingestAll()
      .then((summary) => {
        if (summary.records.inserted + summary.records.updated > 0 || summary.errors.length > 0) {
          this.log.debug({ reason, records: summary.records, errors: summary.errors.length, durationMs: summary.durationMs }, 'ingested');
        }
        this.options.onIngest?.(summary);
        if (!this.stopped) this.follow(this.options.engine.watchTargets());
      })
      .catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'ingest failed; the next change or rescan retries'));
  }

  /** Watches the new targets and lets go of the ones no longer listed. */
  private follow(targets: WatchTargets): void {
    const wanted = new Map<string, boolean>();
    for (const root of targets.roots) wanted.set(root, true);
    for (const directory of targets.directories) if (!wanted.has(directory) && !targets.roots.some((root) => directory.startsWith(`${root}/`))) wanted.set(directory, false);
    for (const [path, watcher] of this.watchers) {
      if (!wanted.has(path)) {
        watcher.close();
        this.watchers.delete(path);
      }
    }
    for (const [path, recursive] of wanted) {
      if (this.watchers.has(path)) continue;
      const watcher = this.open(path, recursive);
      if (watcher) this.watchers.set(path, watcher);
    }
  }

  private open(path: string, recursive: boolean): FSWatcher | undefined {
    const listen = (options: { recursive: boolean }): FSWatcher => {
      const watcher = watch(path, { persistent: false, recursive: options.recursive }, () => this.schedule());
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
          // Fall through to the log below.
        }
      }
      this.log.debug({ path, err: errorMessage(error) }, 'cannot watch; the periodic rescan covers it');
      return undefined;
    }
  }
}
