import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { PluginSandbox } from '../../../sandbox/isolate';
import { PermissionGate } from '../../../sandbox/permissions';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import type { HookPayload, HookPayloads } from '../../../sdk/src/hooks';
import type { PluginPermissions } from '../../../sdk/src/manifest';
import { ErrorCodes, errorMessage, isRimuruError, type ErrorCode } from '../../core/errors';
import type { HookBus } from '../../core/hooks';
import type { Database } from '../storage/database';
import type { UsageRecordInput } from '../storage/bulk';
import { AgentRepository } from '../storage/repositories/agent-repository';
import { ACTIVE_SESSION_WINDOW_MS } from '../storage/repositories/session-repository';
import { numberOf } from '../storage/repositories/row-values';
import { checkDiscovery, checkParseOutput, checkSources, type CheckedParseOutput } from './adapter-output';
import { writeChunk, type ChunkResult } from './chunk-writer';
import { IngestCursorRepository, type IngestCursor, type IngestCursorInput } from './ingest-cursor-repository';
import { DEFAULT_INGEST_LIMITS, limitsForSandbox, type IngestLimits } from './ingest-limits';
import { addCounts, emptySummary, totalOf, type IngestProgress, type IngestSummary, type SourceWarnings, type WarningCounts } from './ingest-summary';
import { readJsonlChunk, type JsonlChunk } from './jsonl-chunks';
import { retireStaleSessions, SessionDeltas } from './session-merge';
import { openSourceFile, readWhole, sqliteSignature, tailFingerprint, tailStillMatches, type FileIdentity } from './source-files';
import type { UsagePricer } from './usage-pricer';
import type { WatchTarget, WatchTargets } from './ingestion-watcher';

/** What the engine calls on an adapter's sandbox. */
export type AdapterSandbox = Pick<PluginSandbox, 'invoke' | 'limits' | 'disposed'>;

/** One adapter plugin as the engine sees it. */
export interface IngestAdapter {
  plugin: string;
  agentType: string;
  displayName: string;
  /** The permissions its capabilities run under: every source path is checked against them. */
  permissions: PluginPermissions;
  /** The live sandbox; absent when the plugin is not running. */
  sandbox?: AdapterSandbox;
  /** Why it is not running (its registry state and reason). */
  notRunning?: { state: string; reason?: string; code?: string };
}

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
}

export interface IngestOptions {
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Only these agent types, fully (discover, sources, every source). With neither this nor
   * `sourceIds`, every adapter.
   */
  agentTypes?: readonly string[];
  /**
   * Also these sources, by id, from their adapter's last listing — without asking the adapter
   * to discover and list again (the watcher's cheap path for a file it knows). Ids no adapter
   * listed are ignored.
   */
  sourceIds?: readonly string[];
  signal?: AbortSignal;
}

/** What a changed path means to the engine (see {@link IngestionEngine.classifyChange}). */
export type ChangeMeaning = { sourceId: string } | { agentTypes: string[] } | null;

/** What {@link IngestionEngine.ingestAll} resolves to; `aborted` when it stopped early (shutdown). */
export type IngestRunSummary = IngestSummary & { aborted: boolean };

interface PlannedSource {
  source: IngestSource;
  /** New bytes the stat promised (jsonl/json), for the progress total. */
  pendingBytes: number;
}

interface AdapterRun {
  adapter: IngestAdapter;
  /** Listed afresh by the adapter this run (false: some of its last listing, for the watcher). */
  full: boolean;
  sandbox: AdapterSandbox;
  gate: PermissionGate;
  limits: IngestLimits;
  cursors: Map<string, IngestCursor>;
  sources: PlannedSource[];
}

interface RunContext {
  summary: IngestRunSummary;
  unknownModels: Set<string>;
  progress: IngestProgress;
  options: IngestOptions;
  warningsBySource: Map<string, SourceWarnings>;
}

/** Warnings of one source within one chunk, before they are added to the cursor and the summary. */
interface ChunkWarnings {
  counts: WarningCounts;
  samples: string[];
}

/** Warnings counted on a source's cursor since it was last read from its start. */
interface SourceTally {
  warnings: number;
  kinds: WarningCounts;
}

/** Where a source's cursor moves to; the warning totals are filled in by the commit. */
type CursorPosition = Omit<IngestCursorInput, 'warnings' | 'warningKinds'>;

interface CommitStep {
  expected: IngestCursor | null;
  next: CursorPosition;
  output: CheckedParseOutput | null;
  /** Host-side warnings of this chunk; the adapter's and the dropped records' are added to it. */
  warnings: ChunkWarnings;
  tally: SourceTally;
  identity: FileIdentity;
}

type SourceOutcome = 'read' | 'unchanged' | 'missing' | 'superseded';

/** A jsonl chunk read and parsed, waiting to be written. */
interface PreparedChunk {
  chunk: JsonlChunk;
  output: CheckedParseOutput | null;
  warnings: ChunkWarnings;
  next: CursorPosition;
}

const emptyTally = (): SourceTally => ({ warnings: 0, kinds: {} });
const tallyOf = (cursor: IngestCursor): SourceTally => ({ warnings: cursor.warnings, kinds: { ...cursor.warningKinds } });

const MAX_WARNING_SAMPLES = 5;

function errorCodeOf(error: unknown): ErrorCode | string {
  if (isRimuruError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

function sameState(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
  private hookQueue: Promise<void> = Promise.resolve();
  private readonly stopController = new AbortController();
  private targets: WatchTargets = { roots: [], directories: [] };
  /** Each adapter's last listing, by plugin; and by source id and path, who listed it. */
  private readonly listed = new Map<string, IngestSource[]>();
  private readonly sourceOwners = new Map<string, { plugin: string; agentType: string }>();
  private readonly sourceByPath = new Map<string, string>();
  /** File extensions of each agent's listed sources: a new file with one of them may be a new source. */
  private readonly extensions = new Map<string, Set<string>>();

  constructor(private readonly options: IngestionEngineOptions) {
    this.limits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'ingestion' });
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
    const sourceId = this.sourceByPath.get(changedPath) ?? this.sourceByPath.get(database);
    if (sourceId !== undefined) return { sourceId };
    const extension = path.extname(database);
    const interested = agentTypes.filter((agentType) => {
      const known = this.extensions.get(agentType);
      return known === undefined || known.size === 0 || known.has(extension);
    });
    return interested.length > 0 ? { agentTypes: interested } : null;
  }

  /** Remembers an adapter's listing (for targeted runs and {@link classifyChange}). */
  private remember(adapter: IngestAdapter, sources: readonly IngestSource[]): void {
    for (const source of this.listed.get(adapter.plugin) ?? []) {
      this.sourceOwners.delete(source.id);
      this.sourceByPath.delete(source.path);
    }
    this.listed.set(adapter.plugin, [...sources]);
    const extensions = new Set<string>();
    for (const source of sources) {
      this.sourceOwners.set(source.id, { plugin: adapter.plugin, agentType: adapter.agentType });
      this.sourceByPath.set(source.path, source.id);
      extensions.add(path.extname(source.path));
    }
    this.extensions.set(adapter.agentType, extensions);
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
  watchTargets(): WatchTargets {
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
      unknownModels: new Set(),
      progress: { sourcesTotal: 0, sourcesDone: 0, bytesTotal: 0, bytesDone: 0, recordsWritten: 0 },
      options,
      warningsBySource: new Map(),
    };
    const { summary } = context;
    await this.options.pricer.prepare?.();
    const everything = options.agentTypes === undefined && options.sourceIds === undefined;
    const fullTypes = new Set(options.agentTypes ?? []);
    const targeted = new Map<string, Set<string>>();
    for (const sourceId of options.sourceIds ?? []) {
      const owner = this.sourceOwners.get(sourceId);
      if (owner === undefined || fullTypes.has(owner.agentType)) continue;
      if (!targeted.has(owner.plugin)) targeted.set(owner.plugin, new Set());
      targeted.get(owner.plugin)?.add(sourceId);
    }
    const adapters = this.options.adapters().filter((adapter) => everything || fullTypes.has(adapter.agentType) || targeted.has(adapter.plugin));

    const planned = await Promise.all(
      adapters.map((adapter) => this.plan(adapter, context, everything || fullTypes.has(adapter.agentType) ? undefined : targeted.get(adapter.plugin))),
    );
    const runs = this.claimSources(planned.filter((run): run is AdapterRun => run !== null));
    if (runs.some((run) => run.full)) this.targets = await this.findWatchTargets(runs.filter((run) => run.full), context);
    for (const run of runs) {
      summary.sources.total += run.sources.length;
      context.progress.sourcesTotal += run.sources.length;
      context.progress.bytesTotal += run.sources.reduce((sum, planned) => sum + planned.pendingBytes, 0);
    }
    options.onProgress?.({ ...context.progress });

    await Promise.all(runs.map((run) => this.ingestAdapter(run, context)));

    if (!this.aborted(options)) await this.afterRun(runs, context);
    await this.hookQueue;
    summary.aborted = this.aborted(options);
    summary.adapters.sort((a, b) => a.agentType.localeCompare(b.agentType));
    summary.errors.sort((a, b) => a.agentType.localeCompare(b.agentType));
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
  private async plan(adapter: IngestAdapter, context: RunContext, only?: ReadonlySet<string>): Promise<AdapterRun | null> {
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
    const known = only === undefined ? undefined : this.listed.get(adapter.plugin);
    if (known !== undefined && only !== undefined) return this.planSources(adapter, sandbox, known.filter((source) => only.has(source.id)), false, context);
    let sources: IngestSource[];
    try {
      const discovery = checkDiscovery(adapter.plugin, await sandbox.invoke('discover', []));
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
      sources = checkSources(adapter.plugin, await sandbox.invoke('sources', []));
    } catch (error) {
      return fail(errorCodeOf(error), `adapter ${adapter.plugin} failed before reading anything: ${errorMessage(error)}`);
    }
    const outcome = summary.adapters.find((entry) => entry.plugin === adapter.plugin);
    if (outcome) outcome.sources = sources.length;
    this.remember(adapter, sources);
    return this.planSources(adapter, sandbox, sources, true, context);
  }

  private async planSources(adapter: IngestAdapter, sandbox: AdapterSandbox, sources: readonly IngestSource[], full: boolean, context: RunContext): Promise<AdapterRun> {
    const gate = new PermissionGate({ plugin: adapter.plugin, permissions: adapter.permissions, env: this.options.env, homeDir: this.options.homeDir });
    const repository = new IngestCursorRepository(this.options.database);
    // A targeted run reads the cursors of its few sources, not the adapter's thousands.
    const stored = full ? await repository.findByPlugin(adapter.plugin) : await repository.findByIds(sources.map((source) => source.id));
    const cursors = new Map(stored.map((cursor) => [cursor.sourceId, cursor]));
    const run: AdapterRun = { adapter, full, sandbox, gate, limits: limitsForSandbox(this.limits, sandbox.limits), cursors, sources: [] };
    const seen = new Set<string>();
    for (const source of sources) {
      if (seen.has(source.id)) {
        this.log.warn({ plugin: adapter.plugin, source: source.id }, 'adapter listed a source id twice; reading it once');
        continue;
      }
      seen.add(source.id);
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

  private async findWatchTargets(runs: AdapterRun[], context: RunContext): Promise<WatchTargets> {
    const roots = new Map<string, Set<string>>();
    const directories = new Map<string, Set<string>>();
    const own = (map: Map<string, Set<string>>, key: string, agentType: string): void => {
      let owners = map.get(key);
      if (owners === undefined) map.set(key, (owners = new Set()));
      owners.add(agentType);
    };
    for (const run of runs) {
      const paths = context.summary.adapters.find((entry) => entry.plugin === run.adapter.plugin)?.paths ?? [];
      for (const root of paths) {
        // Only folders the adapter may read: a root of `/` listed by a careless adapter must not be watched.
        const real = await run.gate.checkPath('fs.read', root).catch(() => run.gate.checkPath('sqlite', root).catch(() => null));
        if (real !== null && (await fsp.stat(real).then((stat) => stat.isDirectory(), () => false))) own(roots, real, run.adapter.agentType);
      }
      for (const { source } of run.sources) own(directories, path.dirname(source.path), run.adapter.agentType);
    }
    const list = (map: Map<string, Set<string>>): WatchTarget[] =>
      [...map].sort(([a], [b]) => a.localeCompare(b)).map(([target, owners]) => ({ path: target, agentTypes: [...owners].sort() }));
    // Runs limited to some agents keep what they did not look at.
    const keep = (previous: WatchTarget[], fresh: WatchTarget[]): WatchTarget[] => {
      const looked = new Set(runs.map((run) => run.adapter.agentType));
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
      this.emit('AgentDiscovered', { agentType: adapter.agentType, ...(discovery.version ? { version: discovery.version } : {}), paths: discovery.paths });
    }
  }

  private async ingestAdapter(run: AdapterRun, context: RunContext): Promise<void> {
    for (let index = 0; index < run.sources.length; index++) {
      if (this.aborted(context.options)) return;
      const { source, pendingBytes } = run.sources[index] as PlannedSource;
      if (run.sandbox.disposed) {
        const left = run.sources.length - index;
        context.summary.sources.failed += left;
        context.summary.errors.push({
          plugin: run.adapter.plugin,
          agentType: run.adapter.agentType,
          code: ErrorCodes.SANDBOX_DISPOSED,
          message: `adapter ${run.adapter.plugin} stopped during the ingest; ${left} of its sources were not read`,
        });
        return;
      }
      const bytesBefore = context.progress.bytesDone;
      try {
        const outcome =
          source.kind === 'jsonl'
            ? await this.ingestJsonl(run, source, context)
            : source.kind === 'json'
              ? await this.ingestJson(run, source, context)
              : await this.ingestSqlite(run, source, context);
        context.summary.sources[outcome] += 1;
      } catch (error) {
        this.sourceFailed(run, source, error, context);
      }
      // Keep the total honest when a source held more or less than its stat promised.
      context.progress.bytesTotal += context.progress.bytesDone - bytesBefore - pendingBytes;
      context.progress.sourcesDone += 1;
      context.options.onProgress?.({ ...context.progress, plugin: run.adapter.plugin, sourceId: source.id });
    }
  }

  private sourceFailed(run: AdapterRun, source: IngestSource, error: unknown, context: RunContext): void {
    const code = errorCodeOf(error);
    const message = `${source.kind} source ${source.path}: ${errorMessage(error)}`;
    context.summary.sources.failed += 1;
    context.summary.errors.push({ plugin: run.adapter.plugin, agentType: run.adapter.agentType, sourceId: source.id, code, message });
    this.log.warn({ plugin: run.adapter.plugin, source: source.id, code }, `ingest of a source failed: ${message}`);
  }

  private async parse(run: AdapterRun, input: Record<string, unknown>): Promise<CheckedParseOutput> {
    return checkParseOutput(run.adapter.plugin, run.adapter.agentType, await run.sandbox.invoke('parse', [input]));
  }

  // ---- jsonl: only the bytes after the cursor, a bounded chunk at a time ----

  private async ingestJsonl(run: AdapterRun, source: IngestSource, context: RunContext): Promise<SourceOutcome> {
    const opened = await openSourceFile(run.gate, source.path);
    if (opened === null) return 'missing';
    const { handle, identity } = opened;
    try {
      const cursor = run.cursors.get(source.id) ?? null;
      let restart = cursor === null || cursor.plugin !== run.adapter.plugin || cursor.inode !== identity.inode || identity.size < cursor.offset;
      if (!restart && cursor !== null && cursor.size === identity.size && cursor.mtimeMs === identity.mtimeMs) return 'unchanged';
      // Same inode, not shorter: still the same bytes before the offset, or rewritten in place?
      if (!restart && cursor !== null && !(await tailStillMatches(handle, cursor.offset, cursor.tail))) restart = true;
      if (restart && cursor !== null) this.log.debug({ plugin: run.adapter.plugin, source: source.id }, 'source truncated or replaced; reading it again from the start');

      let expected = cursor;
      let offset = restart || cursor === null ? 0 : cursor.offset;
      const state = restart || cursor === null ? undefined : cursor.state;
      const tally = restart || cursor === null ? emptyTally() : tallyOf(cursor);
      // Read-ahead: while one chunk is being written (SQLite writes block this thread), the
      // adapter already parses the next one in its isolate's thread.
      let pending: Promise<PreparedChunk | null> | null = this.prepareJsonlChunk(run, source, handle, identity, offset, state, true, context);
      try {
        while (pending !== null) {
          const prepared: PreparedChunk | null = await pending;
          pending = null;
          if (prepared === null) break;
          const { chunk } = prepared;
          if (!chunk.eof && !this.aborted(context.options)) {
            pending = this.prepareJsonlChunk(run, source, handle, identity, chunk.nextOffset, prepared.next.state, false, context);
          }
          const result = await this.commit(run, source, context, { expected, next: prepared.next, output: prepared.output, warnings: prepared.warnings, tally, identity });
          if (result === null) return 'superseded';
          expected = result.cursor;
          context.summary.bytesRead += chunk.nextOffset - offset;
          context.progress.bytesDone += chunk.nextOffset - offset;
          offset = chunk.nextOffset;
          if (chunk.eof) break;
          context.options.onProgress?.({ ...context.progress, plugin: run.adapter.plugin, sourceId: source.id });
        }
      } finally {
        // Never close the file under a read-ahead still in flight (its result is dropped).
        await pending?.catch(() => undefined);
      }
      return 'read';
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads the next chunk after `offset` and has the adapter parse it; `null` when nothing
   * complete follows (except on the first read, which records the file as seen).
   */
  private async prepareJsonlChunk(
    run: AdapterRun,
    source: IngestSource,
    handle: FileHandle,
    identity: FileIdentity,
    offset: number,
    state: unknown,
    first: boolean,
    context: RunContext,
  ): Promise<PreparedChunk | null> {
    if (this.aborted(context.options)) return null;
    const chunk = await readJsonlChunk(handle, offset, run.limits, source.lineContains);
    if (chunk.nextOffset === offset && !first) return null;
    const warnings: ChunkWarnings = { counts: {}, samples: [] };
    if (chunk.hugeLines > 0) {
      warnings.counts['huge-line'] = chunk.hugeLines;
      warnings.samples.push(`huge-line: ${chunk.hugeLines} line(s) over ${run.limits.maxLineBytes} bytes skipped unread`);
    }
    let output: CheckedParseOutput | null = null;
    if (chunk.lines.length > 0) {
      output = await this.parse(run, { source, lines: chunk.lines, offset: chunk.firstLineOffset, state });
      context.summary.chunks += 1;
    }
    const next: CursorPosition = {
      sourceId: source.id,
      plugin: run.adapter.plugin,
      inode: identity.inode,
      // Until the pass reaches the end, the cursor claims only the bytes it consumed: a run
      // killed between chunks must not leave a cursor that looks like the whole file.
      size: chunk.eof ? identity.size : chunk.nextOffset,
      mtimeMs: identity.mtimeMs,
      offset: chunk.nextOffset,
      state: output === null ? state : output.state,
      tail: await tailFingerprint(handle, chunk.nextOffset),
    };
    return { chunk, output, warnings, next };
  }

  // ---- json: the whole document, again whenever it changed ----

  private async ingestJson(run: AdapterRun, source: IngestSource, context: RunContext): Promise<SourceOutcome> {
    const opened = await openSourceFile(run.gate, source.path);
    if (opened === null) return 'missing';
    const { handle, identity } = opened;
    try {
      const cursor = run.cursors.get(source.id) ?? null;
      const same =
        cursor !== null && cursor.plugin === run.adapter.plugin && cursor.inode === identity.inode && cursor.size === identity.size && cursor.mtimeMs === identity.mtimeMs;
      if (same) return 'unchanged';
      const warnings: ChunkWarnings = { counts: {}, samples: [] };
      let output: CheckedParseOutput | null = null;
      if (identity.size > run.limits.maxJsonBytes) {
        warnings.counts['huge-line'] = 1;
        warnings.samples.push(`huge-line: the document is ${identity.size} bytes, over the ${run.limits.maxJsonBytes}-byte limit; skipped unread`);
      } else {
        const text = (await readWhole(handle, identity.size)).toString('utf8');
        output = await this.parse(run, { source, text });
        context.summary.chunks += 1;
        context.summary.bytesRead += identity.size;
        context.progress.bytesDone += identity.size;
      }
      const next: CursorPosition = {
        sourceId: source.id,
        plugin: run.adapter.plugin,
        inode: identity.inode,
        size: identity.size,
        mtimeMs: identity.mtimeMs,
        offset: identity.size,
        state: output?.state,
      };
      // A document is read whole each time, so its warnings start again from zero.
      const result = await this.commit(run, source, context, { expected: cursor, next, output, warnings, tally: emptyTally(), identity });
      return result === null ? 'superseded' : 'read';
    } finally {
      await handle.close();
    }
  }

  // ---- sqlite: the adapter queries the database itself; the host only notices that it changed ----

  private async ingestSqlite(run: AdapterRun, source: IngestSource, context: RunContext): Promise<SourceOutcome> {
    const seen = await sqliteSignature(run.gate, source.path);
    if (seen === null) return 'missing';
    const cursor = run.cursors.get(source.id) ?? null;
    const ours = cursor !== null && cursor.plugin === run.adapter.plugin ? cursor : null;
    if (ours !== null && ours.signature === seen.signature) return 'unchanged';
    let expected = cursor;
    let state = ours?.state;
    const tally = ours === null ? emptyTally() : tallyOf(ours);
    for (let page = 0; page < run.limits.maxSqlitePages; page++) {
      if (this.aborted(context.options)) break;
      const output = await this.parse(run, { source, state });
      context.summary.chunks += 1;
      // An adapter that pages keeps its position in its state; one whose state did not move is done.
      const done = sameState(output.state, state) || page === run.limits.maxSqlitePages - 1;
      const next: CursorPosition = {
        sourceId: source.id,
        plugin: run.adapter.plugin,
        inode: seen.identity.inode,
        size: seen.identity.size,
        mtimeMs: seen.identity.mtimeMs,
        offset: 0,
        state: output.state,
        // Only a finished pass records what it saw: a run stopped half-way resumes next time.
        signature: done ? seen.signature : (ours?.signature ?? null),
      };
      const result = await this.commit(run, source, context, { expected, next, output, warnings: { counts: {}, samples: [] }, tally, identity: seen.identity });
      if (result === null) return 'superseded';
      expected = result.cursor;
      state = output.state;
      if (done) break;
    }
    return 'read';
  }

  /** Prices a parse output, writes it with the cursor in one transaction, then counts and queues hooks. */
  private async commit(run: AdapterRun, source: IngestSource, context: RunContext, step: CommitStep): Promise<ChunkResult | null> {
    const { agentType } = run.adapter;
    const { output, warnings } = step;
    const deltas = new SessionDeltas(agentType);
    const records: UsageRecordInput[] = [];
    const recordSessions = new Map<string, string>();
    const recordModels = new Map<string, string>();
    if (output !== null) {
      addCounts(warnings.counts, output.warnings);
      warnings.samples.push(...output.samples);
    }
    const dropped = (message: string): void => {
      warnings.counts['invalid-record'] = (warnings.counts['invalid-record'] ?? 0) + 1;
      if (warnings.samples.length < MAX_WARNING_SAMPLES) warnings.samples.push(`invalid-record: ${message}`);
    };
    for (const record of output?.records ?? []) {
      const recordedAt = Date.parse(record.recordedAt);
      const sessionId = deltas.idOf(record.sessionId);
      if (sessionId === null || recordedAt < 0) {
        dropped(sessionId === null ? `record ${record.dedupKey}: session id too long` : `record ${record.dedupKey}: recordedAt before 1970`);
        continue;
      }
      deltas.addRecord(record.sessionId, recordedAt);
      // Spelled out rather than spread: object spread costs microseconds a record, seconds a million.
      const input: UsageRecordInput = {
        dedupKey: record.dedupKey,
        sessionId,
        agentType,
        model: record.model,
        provider: record.provider ?? null,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        cacheWriteTokens: record.cacheWriteTokens,
        cacheWrite1hTokens: record.cacheWrite1hTokens ?? 0,
        cacheReadTokens: record.cacheReadTokens,
        reasoningTokens: record.reasoningTokens,
        costUsd: 0,
        costSource: 'calculated',
        recordedAt,
        flags: record.flags,
      };
      const priced = this.options.pricer.price(input, record.costUsd);
      if (priced.unknownModel !== undefined) context.unknownModels.add(priced.unknownModel);
      input.costUsd = priced.costUsd;
      input.costSource = priced.costSource;
      records.push(input);
      recordSessions.set(record.dedupKey, record.sessionId);
      recordModels.set(record.dedupKey, record.model);
    }
    for (const session of output?.sessions ?? []) {
      if (!deltas.addEvent(session)) dropped(`session ${session.sessionId}: id too long`);
    }
    step.tally.warnings += totalOf(warnings.counts);
    addCounts(step.tally.kinds, warnings.counts);

    const listening = (this.options.hookBus?.handlers('CostRecorded').length ?? 0) > 0;
    const now = this.now();
    const result = await writeChunk(this.options.database, {
      expected: step.expected,
      next: { ...step.next, warnings: step.tally.warnings, warningKinds: { ...step.tally.kinds } as Record<string, number> },
      records,
      conflict: source.conflict ?? 'ignore',
      sessions: deltas.values(),
      now,
      fallbackTime: step.identity.mtimeMs,
      measureCostChanges: listening,
    });
    if (result === null) {
      this.log.debug({ plugin: run.adapter.plugin, source: source.id }, 'another ingest moved this cursor first; leaving the source to it');
      return null;
    }
    run.cursors.set(source.id, result.cursor);
    const { summary } = context;
    summary.records.inserted += result.upsert.inserted;
    summary.records.updated += result.upsert.updated;
    summary.records.unchanged += result.upsert.unchanged;
    context.progress.recordsWritten += result.upsert.inserted + result.upsert.updated;
    this.noteWarnings(run, source, warnings, context);

    for (const session of result.sessions) {
      if (session.previousStatus === null) {
        summary.sessions.created += 1;
        this.emit('SessionStart', {
          sessionId: session.externalId,
          agentType: session.agentType,
          ...(session.projectPath ? { projectPath: session.projectPath } : {}),
          startedAt: new Date(session.startedAt).toISOString(),
        });
      } else {
        summary.sessions.updated += 1;
        if (session.previousStatus === 'active' && session.status !== 'active') {
          summary.sessions.ended += 1;
          this.emit('SessionEnd', { sessionId: session.externalId, agentType: session.agentType, endedAt: new Date(now).toISOString(), status: session.status });
        }
      }
    }
    this.emitCostRecorded(agentType, result.costChanges, recordSessions, recordModels);
    return result;
  }

  /** One CostRecorded per session per chunk, for the records the chunk actually added or grew. */
  private emitCostRecorded(agentType: string, changes: Map<string, number>, sessions: Map<string, string>, models: Map<string, string>): void {
    if (changes.size === 0) return;
    const bySession = new Map<string, { costUsd: number; models: Map<string, number> }>();
    for (const [key, cost] of changes) {
      const sessionId = sessions.get(key);
      const model = models.get(key);
      if (sessionId === undefined || model === undefined) continue;
      let entry = bySession.get(sessionId);
      if (entry === undefined) {
        entry = { costUsd: 0, models: new Map() };
        bySession.set(sessionId, entry);
      }
      entry.costUsd += cost;
      entry.models.set(model, (entry.models.get(model) ?? 0) + cost);
    }
    for (const [sessionId, entry] of bySession) {
      // The payload names one model: the one that cost the most in this chunk.
      let model = '';
      let most = -Infinity;
      for (const [name, cost] of entry.models) {
        if (cost > most) {
          most = cost;
          model = name;
        }
      }
      this.emit('CostRecorded', { sessionId, agentType, model, costUsd: entry.costUsd });
    }
  }

  private noteWarnings(run: AdapterRun, source: IngestSource, chunk: ChunkWarnings, context: RunContext): void {
    if (totalOf(chunk.counts) === 0) return;
    let entry = context.warningsBySource.get(source.id);
    if (entry === undefined) {
      entry = { plugin: run.adapter.plugin, agentType: run.adapter.agentType, sourceId: source.id, path: source.path, counts: {}, samples: [] };
      context.warningsBySource.set(source.id, entry);
    }
    addCounts(entry.counts, chunk.counts);
    for (const sample of chunk.samples) if (entry.samples.length < MAX_WARNING_SAMPLES) entry.samples.push(sample);
  }

  /** Sessions nobody wrote to for 30 minutes stop being active; agents with active sessions are `active`. */
  private async afterRun(runs: AdapterRun[], context: RunContext): Promise<void> {
    const now = this.now();
    try {
      for (const stale of await retireStaleSessions(this.options.database.knex, now)) {
        context.summary.sessions.ended += 1;
        this.emit('SessionEnd', { sessionId: stale.externalId, agentType: stale.agentType, endedAt: new Date(stale.endedAt).toISOString(), status: stale.status });
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

  /** Hooks run after the commit, in order, without holding up the ingest; a run waits for its own before it resolves. */
  private emit<H extends 'SessionStart' | 'SessionEnd' | 'CostRecorded' | 'AgentDiscovered'>(hook: H, payload: HookPayloads[H]): void {
    const bus = this.options.hookBus;
    if (bus === undefined || bus.handlers(hook).length === 0) return;
    this.hookQueue = this.hookQueue
      .then(() => bus.emitParallel(hook, payload as HookPayload<H>))
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ hook, err: errorMessage(error) }, 'an ingest hook failed'),
      );
  }
}
