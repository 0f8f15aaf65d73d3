import type { CapabilityHost } from '../../../sandbox/capabilities';
import type { PluginSandbox } from '../../../sandbox/isolate';
import type { PermissionGate } from '../../../sandbox/permissions';
import type { IngestSource } from '../../../sdk/src/kinds/adapter';
import type { PluginPermissions } from '../../../sdk/src/manifest';
import type { CheckedParseOutput } from './adapter-output';
import type { IngestCursor, IngestCursorInput } from './ingest-cursor-repository';
import type { IngestLimits } from './ingest-limits';
import type { IngestProgress, IngestSummary, SourceWarnings, WarningCounts } from './ingest-summary';
import type { ByteBudget } from './byte-budget';
import type { SourceChain } from './chunk-writer';
import type { FileIdentity } from './source-files';

/**
 * The shapes one ingest run passes between the engine, the source readers and the committer,
 * and the public ones callers see.
 */

/** What the engine calls on an adapter's sandbox. */
/** What the engine calls on an adapter's sandbox (`invokeBatch` where it has one: see `ParseBatches`). */
export type AdapterSandbox = Pick<PluginSandbox, 'invoke' | 'limits' | 'disposed'> & Partial<Pick<PluginSandbox, 'invokeBatch'>>;

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
  /**
   * Records what one call looked at in the file system (`CapabilityHost.observe`); with
   * `fingerprint` (its bundle, config and granted roots) lets the engine keep `discover` and
   * `sources` answers between runs (see `AdapterListings`).
   */
  observe?: CapabilityHost['observe'];
  fingerprint?: string;
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

export interface PlannedSource {
  source: IngestSource;
  /** New bytes the stat promised (jsonl/json), for the progress total. */
  pendingBytes: number;
}

export interface AdapterRun {
  adapter: IngestAdapter;
  /** Listed afresh by the adapter this run (false: some of its last listing, for the watcher). */
  full: boolean;
  sandbox: AdapterSandbox;
  gate: PermissionGate;
  limits: IngestLimits;
  cursors: Map<string, IngestCursor>;
  sources: PlannedSource[];
  /** Listed sources found unchanged since their cursors by a stat, left out of `sources`. */
  unchanged: number;
}

export interface RunContext {
  summary: IngestRunSummary;
  /** Bytes of source data read and not yet committed, over every adapter of the run. */
  budget: ByteBudget;
  unknownModels: Set<string>;
  progress: IngestProgress;
  options: IngestOptions;
  warningsBySource: Map<string, SourceWarnings>;
  /** Bytes of sources read so far, committed or not (what `withHeapGrowthForIngest` watches). */
  bytesScanned: number;
  /** Awaited before each `parse`: the first call runs the engine's `beforeReading`. */
  beforeParsing: () => Promise<void>;
}

/** Warnings of one source within one chunk, before they are added to the cursor and the summary. */
export interface ChunkWarnings {
  counts: WarningCounts;
  samples: string[];
}

/** Warnings counted on a source's cursor since it was last read from its start. */
export interface SourceTally {
  warnings: number;
  kinds: WarningCounts;
}

/** Where a source's cursor moves to; the warning totals are filled in by the commit. */
export type CursorPosition = Omit<IngestCursorInput, 'warnings' | 'warningKinds'>;

export interface CommitStep {
  /** The source's pass: where its cursor stands in the writer. */
  chain: SourceChain;
  next: CursorPosition;
  output: CheckedParseOutput | null;
  /** Host-side warnings of this chunk; the adapter's and the dropped records' are added to it. */
  warnings: ChunkWarnings;
  tally: SourceTally;
  identity: FileIdentity;
  /** Lines read for this step (what bounds a transaction's size). */
  lines: number;
}

export type SourceOutcome = 'read' | 'unchanged' | 'missing' | 'superseded';

/** Bytes of one source read in this run (sources are read several at once). */
export interface SourceBytes {
  bytes: number;
}

export const emptyTally = (): SourceTally => ({ warnings: 0, kinds: {} });
export const tallyOf = (cursor: IngestCursor): SourceTally => ({ warnings: cursor.warnings, kinds: { ...cursor.warningKinds } });
