import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { PermissionGate } from '../../../sandbox/permissions';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import { ErrorCodes, errorMessage, isRimuruError, type ErrorCode } from '../../core/errors';
import type { HookBus } from '../../core/hooks';
import type { Database } from '../storage/database';
import { AgentRepository } from '../storage/repositories/agent-repository';
import { ACTIVE_SESSION_WINDOW_MS } from '../storage/repositories/session-repository';
import { numberOf } from '../storage/repositories/row-values';
import { AdapterListings } from './adapter-listings';
import { checkDiscovery, checkSources } from './adapter-output';
import { ChunkCommitter } from './chunk-committer';
import { IngestCursorRepository, type SourceIdentity } from './ingest-cursor-repository';
import { IngestHooks } from './ingest-hooks';
import { DEFAULT_INGEST_LIMITS, limitsForSandbox, type IngestLimits } from './ingest-limits';
import type { AdapterRun, AdapterSandbox, ChangeMeaning, IngestAdapter, IngestOptions, IngestRunSummary, PlannedSource, RunContext, SourceBytes, SourceOutcome } from './ingest-run';
import { emptySummary, totalOf } from './ingest-summary';
import type { WatchTarget, WatchTargets } from './ingestion-watcher';
import { retireStaleSessions } from './session-merge';
import { openSourceFile, unchangedSince } from './source-files';
import { SourceReaders } from './source-readers';
import { StatPrefetch } from './stat-prefetch';
import { ByteBudget } from './byte-budget';
import { withHeapGrowthForIngest } from './heap-growth';
import type { UsagePricer } from './usage-pricer';

export type { AdapterSandbox, ChangeMeaning, IngestAdapter, IngestOptions, IngestRunSummary } from './ingest-run';

export interface IngestionEngineOptions {
  database: Database;
  pricer: UsagePricer;
  /** The adapters to ingest from, asked at the start of every run. */
  adapters: () => readonly IngestAdapter[];
  logger: Logger;
  hookBus?: Pick<HookBus, 'emitParallel' | 'handlers'>;
  /** The environment and home the plugins' permission entries expand against (the kernel's). */
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  limits?: Partial<IngestLimits>;
  now?: () => number;
  /**
   * Runs before a run's first `parse` (not at all when nothing new is read): the kernel starts
   * the plugins it left to start on first use, so that a hook plugin is not started by its
   * first hook in the middle of a long ingest, queued behind its transactions.
   */
  beforeReading?: () => Promise<void>;
}

/** `work` run once, by whichever caller comes first; the others wait for the same run. */
function once(work: (() => Promise<void>) | undefined): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= work?.() ?? Promise.resolve());
}

/**
 * The share of each kept answer's observations the main thread stats itself while the worker
 * stats the sources and the rest: on 14,280 sources and ~8,000 observations the two finish
 * together near 60/40 (all of them on the worker left the main thread waiting).
 */
const MAIN_THREAD_OBSERVATIONS = 0.6;

/** What a run's planning may have been handed ready (see {@link IngestionEngine.prepare}). */
interface PlanAhead {
  listings: AdapterListings;
  prefetch?: StatPrefetch;
  /** Every plugin's source identities, read ahead; `null` when not. */
  identities: Map<string, Map<string, SourceIdentity>> | null;
}

interface ListingIndexes {
  owners: Map<string, { plugin: string; agentType: string }>;
  byPath: Map<string, string>;
  extensions: Map<string, Set<string>>;
}

function errorCodeOf(error: unknown): ErrorCode | string {
  if (isRimuruError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** What working out a full run's watch targets needs of it. */
interface WatchedRun {
  plugin: string;
  agentType: string;
  gate: PermissionGate;
}

/**
 * The ingestion engine: for every running adapter, `discover` → agents row → `sources` →
 * permission check of every path → per source, only what is new since its cursor → `parse` in
 * the adapter's sandbox → price → records, sessions and the cursor in one transaction → hooks
 * after the commit. A failing source or adapter is recorded in the summary and the run goes on.
 *
 * Runs never overlap: a call while one is running gets the next run, which starts when the
 * current one ends (callers in between share it).
 */
export class IngestionEngine {
  private readonly limits: IngestLimits;
  private readonly now: () => number;
  private readonly log: Logger;
  private current?: Promise<IngestRunSummary>;
  private next?: Promise<IngestRunSummary>;
  private nextOptions?: IngestOptions;
  private readonly hooks: IngestHooks;
  private readonly readers: SourceReaders;
  private readonly committer: ChunkCommitter;
  private readonly stopController = new AbortController();
  private targets: WatchTargets = { roots: [], directories: [] };
  /** Full runs whose watch targets are not worked out yet (see {@link watchTargets}). */
  private readonly pendingTargets: Array<[WatchedRun[], IngestRunSummary['adapters']]> = [];
  /** Each adapter's last listing, by plugin (in the order they were last listed). */
  private readonly listed = new Map<string, { agentType: string; sources: IngestSource[] }>();
  /** Worked out from `listed` when first needed (a report's single run never needs it). */
  private indexes: ListingIndexes | null = null;
  /** The next run's kept listings and stats, worked out ahead by {@link prepare}. */
  private prepared?: Promise<PlanAhead>;

  constructor(private readonly options: IngestionEngineOptions) {
    this.limits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'ingestion' });
    this.hooks = new IngestHooks(options.hookBus, this.log);
    this.committer = new ChunkCommitter(options.database, options.pricer, this.hooks, this.log, this.now, this.limits);
    this.readers = new SourceReaders(this.committer, (ingest) => this.aborted(ingest), this.log, this.limits.readBufferBytes);
  }

  /** Ingests what is new in every adapter's sources. Never rejects for a plugin or source problem. */
  ingestAll(options: IngestOptions = {}): Promise<IngestRunSummary> {
    if (this.current === undefined) return this.start(options);
    if (this.next === undefined) {
      this.nextOptions = { ...options };
      this.next = this.current
        .catch(() => undefined)
        .then(() => {
          const queued = this.nextOptions ?? {};
          this.next = undefined;
          this.nextOptions = undefined;
          return this.start(queued);
        });
    } else if (this.nextOptions !== undefined) {
      // The shared run covers what every caller asked for: everything if any asked for everything.
      const queued = this.nextOptions;
      const everything = (o: IngestOptions): boolean => o.agentTypes === undefined && o.sourceIds === undefined;
      if (everything(queued) || everything(options)) {
        queued.agentTypes = undefined;
        queued.sourceIds = undefined;
      } else {
        queued.agentTypes = [...new Set([...(queued.agentTypes ?? []), ...(options.agentTypes ?? [])])];
        queued.sourceIds = [...new Set([...(queued.sourceIds ?? []), ...(options.sourceIds ?? [])])];
      }
      queued.onProgress ??= options.onProgress;
    }
    return this.next;
  }

  /**
   * What a changed file means, for a watcher: a source some adapter listed (a SQLite
   * database's `-wal`/`-shm`/`-journal` counts as the database), a possible new source of the
   * given agents (a file with the extension of one of their sources, or any file of an agent
   * with none yet), or nothing worth an ingest (`null`).
   */
  classifyChange(changedPath: string, agentTypes: readonly string[]): ChangeMeaning {
    const database = changedPath.replace(/-(wal|shm|journal)$/, '');
    const { byPath, extensions } = this.listingIndexes();
    const sourceId = byPath.get(changedPath) ?? byPath.get(database);
    if (sourceId !== undefined) return { sourceId };
    const extension = path.extname(database);
    const interested = agentTypes.filter((agentType) => {
      const known = extensions.get(agentType);
      return known === undefined || known.size === 0 || known.has(extension);
    });
    return interested.length > 0 ? { agentTypes: interested } : null;
  }

  /**
   * Gets the next run's first step going while the caller does something else (a report boots
   * its kernel meanwhile): reads the kept listings and the cursors' identities, and has a
   * worker thread stat the sources the listings name and part of what they observed, while
   * this thread stats the rest (a warm run's ~22,000 stats, side by side). Only the next run
   * uses what it found.
   */
  prepare(): void {
    if (this.prepared !== undefined) return;
    const preloaded = AdapterListings.preload(this.options.database, this.log);
    // The worker boots while the listings are read.
    const prefetch = StatPrefetch.start(
      preloaded.then(({ sourcePaths, observedPaths }) => [...sourcePaths, ...observedPaths.flatMap((paths) => paths.slice(Math.floor(paths.length * MAIN_THREAD_OBSERVATIONS)))]),
    );
    // Read while the boot waits on other things (the next run's first query otherwise).
    const identities = new IngestCursorRepository(this.options.database).identities().catch(() => null);
    this.prepared = Promise.all([preloaded, identities]).then(([{ rows }, known]) => ({
      listings: AdapterListings.fromPreloaded(this.options.database, this.log, rows, prefetch),
      prefetch,
      identities: known,
    }));
  }

  /** Remembers an adapter's listing (for targeted runs and {@link classifyChange}). */
  private remember(adapter: IngestAdapter, sources: readonly IngestSource[]): void {
    this.listed.delete(adapter.plugin);
    this.listed.set(adapter.plugin, { agentType: adapter.agentType, sources: [...sources] });
    this.indexes = null;
  }

  /** By source id and path, who listed it; each agent's source file extensions (a new file with one may be a new source). */
  private listingIndexes(): ListingIndexes {
    if (this.indexes !== null) return this.indexes;
    const indexes: ListingIndexes = { owners: new Map(), byPath: new Map(), extensions: new Map() };
    for (const [plugin, { agentType, sources }] of this.listed) {
      const extensions = new Set<string>();
      for (const source of sources) {
        indexes.owners.set(source.id, { plugin, agentType });
        indexes.byPath.set(source.path, source.id);
        extensions.add(path.extname(source.path));
      }
      indexes.extensions.set(agentType, extensions);
    }
    return (this.indexes = indexes);
  }

  private start(options: IngestOptions): Promise<IngestRunSummary> {
    const run = this.run(options).finally(() => {
      if (this.current === run) this.current = undefined;
    });
    this.current = run;
    return run;
  }

  /**
   * What a watcher should listen to, as of the last run: the adapters' data roots that exist
   * and that their permissions cover, and the folders of the sources they listed.
   */
  async watchTargets(): Promise<WatchTargets> {
    // Worked out when a watcher asks, not after every run: a report's ingest never watches.
    while (this.pendingTargets.length > 0) {
      const [runs, adapters] = this.pendingTargets.shift() as [WatchedRun[], IngestRunSummary['adapters']];
      this.targets = await this.findWatchTargets(runs, adapters);
    }
    return { roots: this.targets.roots.map((t) => ({ ...t })), directories: this.targets.directories.map((t) => ({ ...t })) };
  }

  /** Makes a run in progress stop at its next chunk boundary (committed work stays). */
  stop(): void {
    this.stopController.abort();
  }

  /** Resolves when the run in progress (and the queued one) ended. */
  async idle(): Promise<void> {
    await this.next?.catch(() => undefined);
    await this.current?.catch(() => undefined);
  }

  private aborted(options: IngestOptions): boolean {
    return this.stopController.signal.aborted || options.signal?.aborted === true;
  }

  private async run(options: IngestOptions): Promise<IngestRunSummary> {
    const started = performance.now();
    const context: RunContext = {
      summary: { ...emptySummary(), aborted: false },
      budget: new ByteBudget(this.limits.bytesInFlight),
      unknownModels: new Set(),
      progress: { sourcesTotal: 0, sourcesDone: 0, bytesTotal: 0, bytesDone: 0, recordsWritten: 0 },
      options,
      warningsBySource: new Map(),
      bytesScanned: 0,
      beforeParsing: once(this.options.beforeReading),
    };
    const { summary } = context;
    const everything = options.agentTypes === undefined && options.sourceIds === undefined;
    const fullTypes = new Set(options.agentTypes ?? []);
    const targeted = new Map<string, Set<string>>();
    for (const sourceId of options.sourceIds ?? []) {
      const owner = this.listingIndexes().owners.get(sourceId);
      if (owner === undefined || fullTypes.has(owner.agentType)) continue;
      if (!targeted.has(owner.plugin)) targeted.set(owner.plugin, new Set());
      targeted.get(owner.plugin)?.add(sourceId);
    }
    const adapters = this.options.adapters().filter((adapter) => everything || fullTypes.has(adapter.agentType) || targeted.has(adapter.plugin));

    const prepared = this.prepared;
    this.prepared = undefined;
    const { listings, prefetch, identities } = (await prepared) ?? { listings: new AdapterListings(this.options.database, this.log), prefetch: undefined, identities: null };
    const planned = await Promise.all(
      adapters.map((adapter) => this.plan(adapter, context, { listings, prefetch, identities }, everything || fullTypes.has(adapter.agentType) ? undefined : targeted.get(adapter.plugin))),
    );
    await listings.save(this.now());
    const runs = this.claimSources(planned.filter((run): run is AdapterRun => run !== null));
    if (runs.some((run) => run.full)) {
      this.pendingTargets.push([runs.filter((run) => run.full).map(({ adapter, gate }) => ({ plugin: adapter.plugin, agentType: adapter.agentType, gate })), summary.adapters]);
    }
    for (const run of runs) {
      summary.sources.total += run.sources.length + run.unchanged;
      summary.sources.unchanged += run.unchanged;
      context.progress.sourcesTotal += run.sources.length + run.unchanged;
      context.progress.sourcesDone += run.unchanged;
      context.progress.bytesTotal += run.sources.reduce((sum, planned) => sum + planned.pendingBytes, 0);
    }
    options.onProgress?.({ ...context.progress });

    // Only a run with something to read needs prices (a synced catalog is picked up here).
    if (runs.some((run) => run.sources.length > 0)) await this.options.pricer.prepare?.();
    await withHeapGrowthForIngest(
      () => context.bytesScanned,
      () => Promise.all(runs.map((run) => this.ingestAdapter(run, context))),
    );

    await this.committer.release().catch((error: unknown) => this.log.warn({ err: errorMessage(error) }, 'could not stop the ingest writer thread'));
    if (!this.aborted(options)) await this.afterRun(runs, context);
    await this.hooks.drained();
    summary.aborted = this.aborted(options);
    summary.adapters.sort((a, b) => a.agentType.localeCompare(b.agentType));
    // Sources are read several at once: their errors are put back in listing order.
    const position = new Map(runs.flatMap((run) => run.sources.map(({ source }, index) => [source.id, index] as const)));
    const rank = (error: { sourceId?: string }): number => (error.sourceId === undefined ? -1 : (position.get(error.sourceId) ?? -1));
    summary.errors.sort((a, b) => a.agentType.localeCompare(b.agentType) || rank(a) - rank(b));
    summary.warnings = [...context.warningsBySource.values()].filter((warnings) => totalOf(warnings.counts) > 0);
    summary.unknownModels = [...context.unknownModels].sort();
    summary.durationMs = Math.round(performance.now() - started);
    this.log.debug(
      { sources: summary.sources, bytesRead: summary.bytesRead, records: summary.records, errors: summary.errors.length, durationMs: summary.durationMs },
      'ingest run done',
    );
    return summary;
  }

  /**
   * discover → agents row → sources → permission and size check of each source; or, given
   * `only`, those sources of the adapter's last listing without asking it again.
   */
  private async plan(adapter: IngestAdapter, context: RunContext, ahead: PlanAhead, only?: ReadonlySet<string>): Promise<AdapterRun | null> {
    const { summary } = context;
    const fail = (code: string, message: string): null => {
      summary.errors.push({ plugin: adapter.plugin, agentType: adapter.agentType, code, message });
      this.log.warn({ plugin: adapter.plugin, code }, message);
      return null;
    };
    const sandbox = adapter.sandbox;
    if (sandbox === undefined || sandbox.disposed) {
      const state = adapter.notRunning;
      return fail(
        state?.code ?? ErrorCodes.SANDBOX_DISPOSED,
        `adapter ${adapter.plugin} is not running${state ? ` (${state.state}${state.reason ? `: ${state.reason}` : ''})` : ''}; its sources were not read`,
      );
    }
    const known = only === undefined ? undefined : this.listed.get(adapter.plugin)?.sources;
    if (known !== undefined && only !== undefined) return this.planSources(adapter, sandbox, known.filter((source) => only.has(source.id)), false, context, ahead);
    let sources: IngestSource[];
    try {
      // Kept answers are kept checked: a kept listing of thousands of sources is not checked again.
      const discovery = (await ahead.listings.call(adapter, 'discover', async () => checkDiscovery(adapter.plugin, await sandbox.invoke('discover', [])))) as ReturnType<typeof checkDiscovery>;
      await this.recordAgent(adapter, discovery);
      summary.adapters.push({
        plugin: adapter.plugin,
        agentType: adapter.agentType,
        displayName: adapter.displayName,
        installed: discovery.installed,
        version: discovery.version ?? null,
        paths: discovery.paths,
        sources: 0,
      });
      sources = (await ahead.listings.call(adapter, 'sources', async () => checkSources(adapter.plugin, await sandbox.invoke('sources', [])))) as IngestSource[];
    } catch (error) {
      return fail(errorCodeOf(error), `adapter ${adapter.plugin} failed before reading anything: ${errorMessage(error)}`);
    }
    const outcome = summary.adapters.find((entry) => entry.plugin === adapter.plugin);
    if (outcome) outcome.sources = sources.length;
    this.remember(adapter, sources);
    return this.planSources(adapter, sandbox, sources, true, context, ahead);
  }

  private async planSources(
    adapter: IngestAdapter,
    sandbox: AdapterSandbox,
    sources: readonly IngestSource[],
    full: boolean,
    context: RunContext,
    { prefetch, identities: known }: PlanAhead,
  ): Promise<AdapterRun> {
    const gate = new PermissionGate({ plugin: adapter.plugin, permissions: adapter.permissions, env: this.options.env, homeDir: this.options.homeDir });
    const repository = new IngestCursorRepository(this.options.database);
    // A full run first tells the unchanged files apart with a stat each against where their
    // cursors stood (most sources of a warm run), then reads the full cursors of the rest only.
    const identities = full ? (known?.get(adapter.plugin) ?? (known === null ? await repository.identitiesByPlugin(adapter.plugin) : new Map())) : null;
    await prefetch?.ready;
    const stat = prefetch?.lookup;
    const run: AdapterRun = { adapter, full, sandbox, gate, limits: limitsForSandbox(this.limits, sandbox.limits), cursors: new Map(), sources: [], unchanged: 0 };
    const seen = new Set<string>();
    for (const source of sources) {
      if (seen.has(source.id)) {
        this.log.warn({ plugin: adapter.plugin, source: source.id }, 'adapter listed a source id twice; reading it once');
        continue;
      }
      seen.add(source.id);
      const identity = identities?.get(source.id);
      if (identity !== undefined && source.kind !== 'sqlite' && unchangedSince(gate, source.path, identity, stat)) {
        run.unchanged += 1;
        continue;
      }
      // Sizing every source up front costs a stat each; only a caller showing progress needs the
      // total. Either way each path is checked against the permissions before it is opened.
      if (context.options.onProgress === undefined) {
        run.sources.push({ source, pendingBytes: 0 });
        continue;
      }
      try {
        run.sources.push({ source, pendingBytes: await this.pendingBytes(run, source) });
      } catch (error) {
        context.summary.sources.total += 1;
        this.sourceFailed(run, source, error, context);
      }
    }
    // A targeted run reads the cursors of its few sources, not the adapter's thousands.
    for (const cursor of await repository.findByIds(run.sources.map(({ source }) => source.id))) run.cursors.set(cursor.sourceId, cursor);
    return run;
  }

  /** New bytes a source seems to hold (for the progress total); the permission gate refuses a path here first. */
  private async pendingBytes(run: AdapterRun, source: IngestSource): Promise<number> {
    if (source.kind === 'sqlite') {
      await run.gate.checkPath('sqlite', source.path);
      return 0;
    }
    const opened = await openSourceFile(run.gate, source.path);
    if (opened === null) return 0;
    await opened.handle.close();
    const cursor = run.cursors.get(source.id);
    const size = opened.identity.size;
    if (cursor === undefined || cursor.inode !== opened.identity.inode || size < cursor.offset) return size;
    return source.kind === 'json' ? (cursor.size === size && cursor.mtimeMs === opened.identity.mtimeMs ? 0 : size) : size - cursor.offset;
  }

  private async findWatchTargets(runs: WatchedRun[], adapters: IngestRunSummary['adapters']): Promise<WatchTargets> {
    const roots = new Map<string, Set<string>>();
    const directories = new Map<string, Set<string>>();
    const own = (map: Map<string, Set<string>>, key: string, agentType: string): void => {
      let owners = map.get(key);
      if (owners === undefined) map.set(key, (owners = new Set()));
      owners.add(agentType);
    };
    for (const run of runs) {
      const paths = adapters.find((entry) => entry.plugin === run.plugin)?.paths ?? [];
      for (const root of paths) {
        // Only folders the adapter may read: a root of `/` listed by a careless adapter must not be watched.
        const real = await run.gate.checkPath('fs.read', root).catch(() => run.gate.checkPath('sqlite', root).catch(() => null));
        if (real !== null && (await fsp.stat(real).then((stat) => stat.isDirectory(), () => false))) own(roots, real, run.agentType);
      }
      // Every listed source's folder, the unchanged ones too (they are not in the run's `sources`).
      for (const source of this.listed.get(run.plugin)?.sources ?? []) own(directories, path.dirname(source.path), run.agentType);
    }
    const list = (map: Map<string, Set<string>>): WatchTarget[] =>
      [...map].sort(([a], [b]) => a.localeCompare(b)).map(([target, owners]) => ({ path: target, agentTypes: [...owners].sort() }));
    // Runs limited to some agents keep what they did not look at.
    const keep = (previous: WatchTarget[], fresh: WatchTarget[]): WatchTarget[] => {
      const looked = new Set(runs.map((run) => run.agentType));
      const kept = previous.filter((target) => !target.agentTypes.some((agentType) => looked.has(agentType)));
      return [...kept, ...fresh].sort((a, b) => a.path.localeCompare(b.path));
    };
    return { roots: keep(this.targets.roots, list(roots)), directories: keep(this.targets.directories, list(directories)) };
  }

  /** Two adapters naming one source id would fight over its cursor: the first keeps it. */
  private claimSources(runs: AdapterRun[]): AdapterRun[] {
    const owner = new Map<string, string>();
    for (const run of runs) {
      run.sources = run.sources.filter(({ source }) => {
        const claimed = owner.get(source.id);
        if (claimed === undefined) {
          owner.set(source.id, run.adapter.plugin);
          return true;
        }
        this.log.warn({ plugin: run.adapter.plugin, source: source.id, owner: claimed }, 'source id already read by another adapter; skipped');
        return false;
      });
    }
    return runs;
  }

  private async recordAgent(adapter: IngestAdapter, discovery: { installed: boolean; version?: string; paths: string[] }): Promise<void> {
    const agents = new AgentRepository(this.options.database, { logger: this.log });
    const existing = await agents.findById(adapter.agentType);
    const now = this.now();
    await agents.save({
      id: adapter.agentType,
      agentType: adapter.agentType,
      displayName: adapter.displayName,
      version: discovery.version ?? existing?.version ?? null,
      paths: discovery.paths,
      status: discovery.installed ? (existing?.status === 'active' ? 'active' : 'installed') : 'missing',
      discoveredAt: existing?.discoveredAt ?? now,
      lastSeenAt: discovery.installed ? now : (existing?.lastSeenAt ?? now),
      metadata: existing?.metadata ?? {},
    });
    if (discovery.installed && (existing === null || existing.status === 'missing')) {
      this.hooks.emit('AgentDiscovered', { agentType: adapter.agentType, ...(discovery.version ? { version: discovery.version } : {}), paths: discovery.paths });
    }
  }

  /**
   * Reads an adapter's sources, `sourcesInFlight` at a time: a source's slot is free again once
   * it is read through and its chunks are queued for their transactions; how it fared is counted
   * when they are committed.
   */
  private async ingestAdapter(run: AdapterRun, context: RunContext): Promise<void> {
    let next = 0;
    const settling: Array<Promise<void>> = [];
    const worker = async (): Promise<void> => {
      while (next < run.sources.length) {
        if (this.aborted(context.options)) return;
        const index = next++;
        if (run.sandbox.disposed) {
          const left = run.sources.length - index;
          next = run.sources.length;
          context.summary.sources.failed += left;
          context.summary.errors.push({
            plugin: run.adapter.plugin,
            agentType: run.adapter.agentType,
            code: ErrorCodes.SANDBOX_DISPOSED,
            message: `adapter ${run.adapter.plugin} stopped during the ingest; ${left} of its sources were not read`,
          });
          return;
        }
        settling.push((await this.ingestSource(run, run.sources[index] as PlannedSource, context)).counted);
      }
    };
    const width = Math.max(1, Math.min(this.limits.sourcesInFlight, run.sources.length));
    await Promise.all(Array.from({ length: width }, worker));
    await this.committer.flush();
    await Promise.all(settling);
  }

  /** Reads one source through; `counted` settles once its chunks are committed and it is counted. */
  private async ingestSource(run: AdapterRun, { source, pendingBytes }: PlannedSource, context: RunContext): Promise<{ counted: Promise<void> }> {
    const read: SourceBytes = { bytes: 0 };
    const done = (outcome: SourceOutcome | { error: unknown }): void => {
      if (typeof outcome === 'string') context.summary.sources[outcome] += 1;
      else this.sourceFailed(run, source, outcome.error, context);
      // Keep the total honest when a source held more or less than its stat promised.
      context.progress.bytesTotal += read.bytes - pendingBytes;
      context.progress.sourcesDone += 1;
      context.options.onProgress?.({ ...context.progress, plugin: run.adapter.plugin, sourceId: source.id });
    };
    try {
      const reading =
        source.kind === 'jsonl'
          ? await this.readers.jsonl(run, source, context, read)
          : source.kind === 'json'
            ? await this.readers.json(run, source, context, read)
            : await this.readers.sqlite(run, source, context);
      return { counted: reading.settled.then(done, (error: unknown) => done({ error })) };
    } catch (error) {
      done({ error });
      return { counted: Promise.resolve() };
    }
  }

  private sourceFailed(run: AdapterRun, source: IngestSource, error: unknown, context: RunContext): void {
    const code = errorCodeOf(error);
    const message = `${source.kind} source ${source.path}: ${errorMessage(error)}`;
    context.summary.sources.failed += 1;
    context.summary.errors.push({ plugin: run.adapter.plugin, agentType: run.adapter.agentType, sourceId: source.id, code, message });
    this.log.warn({ plugin: run.adapter.plugin, source: source.id, code }, `ingest of a source failed: ${message}`);
  }

  /** Sessions nobody wrote to for 30 minutes stop being active; agents with active sessions are `active`. */
  private async afterRun(runs: AdapterRun[], context: RunContext): Promise<void> {
    const now = this.now();
    try {
      for (const stale of await retireStaleSessions(this.options.database.knex, now)) {
        context.summary.sessions.ended += 1;
        this.hooks.emit('SessionEnd', { sessionId: stale.externalId, agentType: stale.agentType, endedAt: new Date(stale.endedAt).toISOString(), status: stale.status });
      }
      const rows = (await this.options.database
        .knex('sessions')
        .select('agent_type')
        .count({ n: '*' })
        .where({ status: 'active' })
        .andWhere('last_activity_at', '>=', now - ACTIVE_SESSION_WINDOW_MS)
        .groupBy('agent_type')) as Array<Record<string, unknown>>;
      const active = new Set(rows.filter((row) => numberOf(row.n) > 0).map((row) => String(row.agent_type)));
      for (const run of runs) {
        const installed = context.summary.adapters.find((entry) => entry.plugin === run.adapter.plugin)?.installed ?? false;
        if (!installed) continue;
        await this.options.database
          .knex('agents')
          .where({ id: run.adapter.agentType })
          .update({ status: active.has(run.adapter.agentType) ? 'active' : 'installed' });
      }
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, 'could not update session and agent statuses after the ingest');
    }
  }
}
