import { watch, type FSWatcher } from 'node:fs';
import * as nodePath from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../../core/errors';
import type { ChangeMeaning, IngestOptions, IngestRunSummary } from './ingestion-engine';

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
  watchTargets(): Promise<WatchTargets>;
  classifyChange(changedPath: string, agentTypes: readonly string[]): ChangeMeaning;
}

export interface IngestionWatcherOptions {
  engine: WatchedEngine;
  logger: Logger;
  /** A full ingest this often even without file events (events can be missed: network file systems, inotify limits). */
  rescanIntervalMs: number;
  /** Events closer together than this make one ingest. */
  debounceMs?: number;
  /**
   * Least time between two full runs (discover and list again) of one agent caused by files it
   * might want: agents keep busy folders (Claude's `todos/`, `shell-snapshots/`). Changes to
   * known sources are read at once regardless.
   */
  fullRunIntervalMs?: number;
  /** Called after every ingest the watcher ran. */
  onIngest?: (summary: IngestRunSummary) => void;
}

const DEFAULT_DEBOUNCE_MS = 150;
const DEFAULT_FULL_RUN_INTERVAL_MS = 1_000;

interface Watched {
  watcher: FSWatcher;
  agentTypes: string[];
}

/**
 * Keeps the store current while the kernel runs. A file-system event (debounced) on a known
 * source reads that source; one on an unknown file that may be a new source lists its agent
 * again (at most once per `fullRunIntervalMs`); others are ignored. A periodic rescan ingests
 * everything as a fallback; the engine reads only what is new either way. After each full run
 * the watched folders follow what the adapters listed. {@link stop} releases every watcher
 * and timer.
 */
export class IngestionWatcher {
  private readonly watchers = new Map<string, Watched>();
  /** Known sources that changed, by id; agents that may have a new source. */
  private readonly changedSources = new Set<string>();
  private readonly changedAgents = new Set<string>();
  private readonly lastFullRun = new Map<string, number>();
  private debounce?: NodeJS.Timeout;
  private rescan?: NodeJS.Timeout;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: IngestionWatcherOptions) {
    this.log = options.logger.child({ component: 'ingestion-watcher' });
  }

  /**
   * Starts watching what the last ingest saw, and the periodic rescan; then ingests once, for
   * whatever was written between that ingest and the watchers being in place.
   */
  async start(): Promise<void> {
    if (this.stopped) return;
    await this.followTargets();
    if (this.stopped) return;
    this.rescan = setInterval(() => this.trigger(undefined), this.options.rescanIntervalMs);
    this.rescan.unref();
    this.trigger(undefined);
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

  private onEvent(folder: string, filename: string | Buffer | null, agentTypes: readonly string[]): void {
    if (this.stopped) return;
    // No file name (some platforms): treat it as a possible new source of the folder's agents.
    const meaning: ChangeMeaning =
      filename === null ? { agentTypes: [...agentTypes] } : this.options.engine.classifyChange(nodePath.join(folder, filename.toString()), agentTypes);
    if (meaning === null) return;
    if ('sourceId' in meaning) this.changedSources.add(meaning.sourceId);
    else for (const agentType of meaning.agentTypes) this.changedAgents.add(agentType);
    this.schedule(this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.fire();
    }, delayMs);
    this.debounce.unref();
  }

  /** Reads the changed sources now, and lists again the agents whose last full run is old enough (the others wait). */
  private fire(): void {
    const now = Date.now();
    const interval = this.options.fullRunIntervalMs ?? DEFAULT_FULL_RUN_INTERVAL_MS;
    const due = [...this.changedAgents].filter((agentType) => now - (this.lastFullRun.get(agentType) ?? 0) >= interval);
    for (const agentType of due) {
      this.changedAgents.delete(agentType);
      this.lastFullRun.set(agentType, now);
    }
    const sourceIds = [...this.changedSources];
    this.changedSources.clear();
    if (due.length > 0 || sourceIds.length > 0) this.trigger({ agentTypes: due, sourceIds });
    if (this.changedAgents.size > 0) {
      const waited = Math.min(...[...this.changedAgents].map((agentType) => now - (this.lastFullRun.get(agentType) ?? 0)));
      this.schedule(Math.max(interval - waited, 0));
    }
  }

  /** Ingests what `options` names (file events), or everything (the rescan: no options). */
  private trigger(options: IngestOptions | undefined): void {
    if (this.stopped) return;
    const agentTypes = options?.agentTypes;
    this.running = this.options.engine
      .ingestAll(options ?? {})
      .then((summary) => {
        if (summary.records.inserted + summary.records.updated > 0 || summary.errors.length > 0) {
          this.log.debug({ agents: agentTypes ?? 'all', records: summary.records, errors: summary.errors.length, durationMs: summary.durationMs }, 'ingested');
        }
        this.options.onIngest?.(summary);
        if (!this.stopped) return this.followTargets();
      })
      .catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'ingest failed; the next change or rescan retries'));
  }

  private async followTargets(): Promise<void> {
    try {
      const targets = await this.options.engine.watchTargets();
      if (!this.stopped) this.follow(targets);
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, 'could not work out what to watch; the rescan still runs');
    }
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
      const watcher = watch(path, { persistent: false, recursive: options.recursive }, (_event, filename) =>
        this.onEvent(path, filename, this.watchers.get(path)?.agentTypes ?? []),
      );
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
