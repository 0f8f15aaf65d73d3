import type { ParseWarning } from '../../../sdk/src/kinds/adapter';
import type { ErrorCode } from '../../core/errors';

/**
 * Kinds of skipped input counted per source: the adapter's own (`ParseWarning['kind']`) plus
 * the host's — `huge-line` (a jsonl line over the line limit, or a json file over its limit,
 * skipped unread) and `invalid-record` (a record or session the adapter returned that does not
 * satisfy the contract, dropped).
 */
export type IngestWarningKind = ParseWarning['kind'] | 'huge-line' | 'invalid-record';

export const INGEST_WARNING_KINDS: readonly IngestWarningKind[] = ['corrupt', 'missing-field', 'unknown-type', 'other', 'huge-line', 'invalid-record'];

export type WarningCounts = Partial<Record<IngestWarningKind, number>>;

/** The warnings one source produced in this run. */
export interface SourceWarnings {
  plugin: string;
  agentType: string;
  sourceId: string;
  path: string;
  counts: WarningCounts;
  /** A few of the adapter's messages, for a human to start from. */
  samples: string[];
}

/** Something that stopped a source (or a whole adapter) in this run; the rest carried on. */
export interface IngestError {
  plugin: string;
  agentType: string;
  /** Absent when the whole adapter failed (discover/sources threw, or it is not running). */
  sourceId?: string;
  code: ErrorCode | string;
  message: string;
}

/** What discovery said about one adapter, as the agents table now records it. */
export interface AdapterOutcome {
  plugin: string;
  agentType: string;
  displayName: string;
  installed: boolean;
  version: string | null;
  paths: string[];
  sources: number;
}

export interface IngestSourceCounts {
  /** Sources the adapters listed (and the permission gate allowed). */
  total: number;
  /** Sources with something new that was read. */
  read: number;
  /** Sources unchanged since their cursor. */
  unchanged: number;
  /** Listed but not on disk. */
  missing: number;
  /** Refused by the permission gate, or failed (see `errors`). */
  failed: number;
  /** Another ingest (a report beside `run`, another machine) moved the cursor first; its records are the same. */
  superseded: number;
}

export interface IngestSummary {
  sources: IngestSourceCounts;
  /** Bytes consumed from jsonl and json sources (new bytes only; verification reads excluded). */
  bytesRead: number;
  /** `parse` calls made. */
  chunks: number;
  records: { inserted: number; updated: number; unchanged: number };
  sessions: { created: number; updated: number; ended: number };
  warnings: SourceWarnings[];
  errors: IngestError[];
  adapters: AdapterOutcome[];
  /** Models priced at $0 because the catalog does not know them, by name as logged. */
  unknownModels: string[];
  durationMs: number;
}

export interface IngestProgress {
  sourcesTotal: number;
  sourcesDone: number;
  /** New bytes found across jsonl and json sources when the run began. */
  bytesTotal: number;
  bytesDone: number;
  recordsWritten: number;
  plugin?: string;
  sourceId?: string;
}

export function emptySummary(): IngestSummary {
  return {
    sources: { total: 0, read: 0, unchanged: 0, missing: 0, failed: 0, superseded: 0 },
    bytesRead: 0,
    chunks: 0,
    records: { inserted: 0, updated: 0, unchanged: 0 },
    sessions: { created: 0, updated: 0, ended: 0 },
    warnings: [],
    errors: [],
    adapters: [],
    unknownModels: [],
    durationMs: 0,
  };
}

export function addCounts(into: WarningCounts, from: WarningCounts): void {
  for (const kind of INGEST_WARNING_KINDS) {
    const n = from[kind];
    if (n) into[kind] = (into[kind] ?? 0) + n;
  }
}

export function totalOf(counts: WarningCounts): number {
  return INGEST_WARNING_KINDS.reduce((sum, kind) => sum + (counts[kind] ?? 0), 0);
}
