/**
 * Adapters: one per coding agent. They find the agent's data and turn its logs into usage
 * records; the host does the reading of bytes, the storing and the pricing.
 */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

/** What `discover` found on this machine. */
export interface AgentDiscovery {
  installed: boolean;
  version?: string;
  /** Data roots the adapter will read (after env and config overrides). */
  paths: string[];
}

/**
 * One thing to ingest. The host keeps a cursor per source id and only hands the adapter what
 * is new:
 * - `jsonl`: the host reads the file from the cursor's byte offset, splits complete lines
 *   (a trailing partial line waits for the next run; lines over the host's limit are skipped
 *   and counted, never buffered) and calls `parse` with `lines`. A truncated or replaced file
 *   (size below the offset, another inode) is read again from the start; dedup keys make that
 *   safe.
 * - `json`: one JSON document per file; when its size or mtime changed the host calls `parse`
 *   with its whole `text` (bounded).
 * - `sqlite`: when the database (or its `-wal`) changed, the host calls `parse` with no rows;
 *   the adapter queries it itself with `ctx.sqlite` and keeps its own position in `state`.
 * Every `path` must lie inside the plugin's `fs.read` (or, for sqlite, `sqlite`) permission:
 * the host checks it before reading anything.
 */
export interface IngestSource {
  /** Stable id (usually the absolute path); the host keys its ingest cursor on it. */
  id: string;
  kind: 'jsonl' | 'json' | 'sqlite';
  path: string;
  /**
   * jsonl only: lines that contain none of these substrings are dropped by the host before
   * they cross into the sandbox (e.g. `['"usage"']`). A cheap pre-filter, not a parser.
   */
  lineContains?: string[];
  /**
   * How a record whose dedup key is already stored is treated: `ignore` keeps the stored one
   * (default), `keep-larger` replaces it when the new one has more tokens (streamed
   * responses logged several times, accumulating session totals).
   */
  conflict?: 'ignore' | 'keep-larger';
}

/** Token usage of one model call, normalised. `inputTokens` is uncached input. */
export interface UsageRecord {
  /** Unique per call across re-ingests; the host de-duplicates on it. */
  dedupKey: string;
  sessionId: string;
  model: string;
  provider?: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  /** Part of `cacheWriteTokens` written with the 1-hour TTL. */
  cacheWrite1hTokens?: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  /** The agent's own cost figure, when it reports one. */
  costUsd?: number;
  /** ISO-8601 time of the call. */
  recordedAt: string;
  /** Where a value was guessed (e.g. a fallback model), for warnings. */
  flags?: string[];
}

/** A session seen in the data. */
export interface SessionEvent {
  sessionId: string;
  projectPath?: string;
  startedAt?: string;
  endedAt?: string;
  title?: string;
  metadata?: Record<string, unknown>;
}

/** A chunk of a source, read by the host from the last cursor. */
export interface ParseInput {
  source: IngestSource;
  /** jsonl: complete new lines, in file order. */
  lines?: string[];
  /** jsonl: the byte offset of the first line in `lines` (stable across runs: usable in dedup keys). */
  offset?: number;
  /** json: the whole document. */
  text?: string;
  /** What the previous `parse` of this source returned as `state` (`undefined` on a first or restarted read). */
  state?: unknown;
}

export interface ParseWarning {
  kind: 'corrupt' | 'missing-field' | 'unknown-type' | 'other';
  message: string;
}

export interface ParseOutput {
  records: UsageRecord[];
  sessions: SessionEvent[];
  /** Carried to the next chunk of the same source (e.g. the current model for Codex). */
  state?: unknown;
  warnings?: ParseWarning[];
}

/** Activity states of an agent launched by Rimuru. */
export type ActivityState = 'active' | 'ready' | 'idle' | 'waiting_input' | 'blocked' | 'exited';

export interface AdapterDefinition extends PluginLifecycle {
  /** Is the agent installed here, which version, and where is its data? */
  discover(ctx: PluginContext): Promise<AgentDiscovery>;
  /** The files and databases to ingest. */
  sources(ctx: PluginContext): Promise<IngestSource[]>;
  /** Turns one chunk into records. Must not throw on bad input: return warnings instead. */
  parse(input: ParseInput, ctx: PluginContext): Promise<ParseOutput>;
  /** Optional orchestration: the command line that launches the agent for a session. */
  launchCommand?(session: Record<string, unknown>, ctx: PluginContext): Promise<string[]>;
  environment?(session: Record<string, unknown>, ctx: PluginContext): Promise<Record<string, string>>;
  initialPrompt?(session: Record<string, unknown>, ctx: PluginContext): Promise<string | null>;
  systemPrompt?(ctx: PluginContext): Promise<string | null>;
  detectActivity?(session: Record<string, unknown>, ctx: PluginContext): Promise<ActivityState>;
  costEstimate?(session: Record<string, unknown>, ctx: PluginContext): Promise<number | null>;
}

const ADAPTER_METHODS = [
  'discover',
  'sources',
  'parse',
  'launchCommand',
  'environment',
  'initialPrompt',
  'systemPrompt',
  'detectActivity',
  'costEstimate',
] as const;

/** Declares an adapter plugin (manifest `rimuru.kind: "adapter"`). */
export function defineAdapter(definition: AdapterDefinition): DefinedPlugin {
  return definePlugin({ kind: 'adapter', ...lifecycleOf(definition), methods: pickMethods(definition, ADAPTER_METHODS) });
}
