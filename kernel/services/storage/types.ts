/**
 * The storage service's domain types: what repositories return and aggregators compute.
 *
 * Conventions: names are camelCase; every time is **epoch milliseconds** (a `number`, as the
 * columns store it and as it crosses the plugin boundary as JSON); a time given *to* storage
 * may also be a `Date` (`Instant`). JSON columns come back parsed. Money is USD as a double.
 */

/** A point in time given to storage: epoch milliseconds or a `Date`. */
export type Instant = number | Date;

/** A half-open time range `[from, to)`; a missing end is unbounded. */
export interface TimeRange {
  from?: Instant;
  to?: Instant;
}

/** Paging of a listing: at most `limit` items after skipping `offset`. */
export interface PageOptions {
  limit?: number;
  offset?: number;
}

export const AGENT_STATUSES = ['installed', 'active', 'missing'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** A coding agent found on a machine. */
export interface Agent {
  /** `<agent type>` or `<agent type>@<host>`. */
  id: string;
  agentType: string;
  displayName: string;
  version: string | null;
  host: string | null;
  /** Data roots the adapter reads. */
  paths: string[];
  status: AgentStatus;
  discoveredAt: number;
  lastSeenAt: number;
  metadata: Record<string, unknown>;
}

/** What `AgentRepository.save` takes: an `Agent` whose optional parts get defaults. */
export interface AgentInput {
  id: string;
  agentType: string;
  displayName: string;
  version?: string | null;
  host?: string | null;
  /** Default `[]`. */
  paths?: string[];
  /** Default `installed`. */
  status?: AgentStatus;
  discoveredAt: Instant;
  /** Default `discoveredAt`. */
  lastSeenAt?: Instant;
  /** Default `{}`. */
  metadata?: Record<string, unknown>;
}

export const SESSION_STATUSES = ['active', 'idle', 'completed', 'errored'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** One agent session seen in the data. */
export interface Session {
  /** `<agent type>:<external id>`; `usage_records.session_id` refers to it. */
  id: string;
  agentId: string;
  agentType: string;
  externalId: string;
  projectPath: string | null;
  title: string | null;
  status: SessionStatus;
  startedAt: number;
  endedAt: number | null;
  lastActivityAt: number;
  host: string | null;
  metadata: Record<string, unknown>;
}

/** What `SessionRepository.save` takes. */
export interface SessionInput {
  id: string;
  agentId: string;
  agentType: string;
  externalId: string;
  projectPath?: string | null;
  title?: string | null;
  /** Default `active`. */
  status?: SessionStatus;
  startedAt: Instant;
  endedAt?: Instant | null;
  /** Default `endedAt`, else `startedAt`. */
  lastActivityAt?: Instant;
  host?: string | null;
  /** Default `{}`. */
  metadata?: Record<string, unknown>;
}

export type CostSource = 'reported' | 'calculated';

/**
 * A stored usage record (one model call) with its cost: a row of `usage_records`.
 * `inputTokens` is uncached input; `cacheWrite1hTokens` is part of `cacheWriteTokens` and
 * `reasoningTokens` part of `outputTokens`.
 */
export interface CostRecord {
  id: number;
  dedupKey: string;
  sessionId: string;
  agentType: string;
  model: string;
  provider: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costUsd: number;
  costSource: CostSource;
  recordedAt: number;
  flags: string[];
}

/** Prices of one model, USD per token; `null` = unknown (never read as free). */
export interface ModelPricing {
  id: number;
  provider: string;
  model: string;
  displayName: string | null;
  inputPrice: number | null;
  outputPrice: number | null;
  cacheWritePrice: number | null;
  cacheWrite1hPrice: number | null;
  cacheReadPrice: number | null;
  inputPriceAbove200k: number | null;
  outputPriceAbove200k: number | null;
  cacheWritePriceAbove200k: number | null;
  cacheReadPriceAbove200k: number | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  capabilities: string[];
  /** Where the prices came from: `snapshot`, `litellm`, `openrouter`, … */
  source: string;
  /** Which source each field came from. */
  provenance: Record<string, string>;
  updatedAt: number;
}

/** What `ModelRepository.save` takes; unique on `provider` + `model`. */
export interface ModelPricingInput {
  provider: string;
  model: string;
  displayName?: string | null;
  inputPrice?: number | null;
  outputPrice?: number | null;
  cacheWritePrice?: number | null;
  cacheWrite1hPrice?: number | null;
  cacheReadPrice?: number | null;
  inputPriceAbove200k?: number | null;
  outputPriceAbove200k?: number | null;
  cacheWritePriceAbove200k?: number | null;
  cacheReadPriceAbove200k?: number | null;
  contextWindow?: number | null;
  maxOutputTokens?: number | null;
  capabilities?: string[];
  source: string;
  provenance?: Record<string, string>;
  /** Default: now. */
  updatedAt?: Instant;
}

/** One sample of the host's resource use. */
export interface SystemMetric {
  id: number;
  collectedAt: number;
  cpuPercent: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  activeSessions: number | null;
  extra: Record<string, unknown>;
}

/** What `MetricsRepository.record` takes. */
export interface SystemMetricInput {
  /** Default: now. */
  collectedAt?: Instant;
  cpuPercent?: number | null;
  memoryUsedBytes?: number | null;
  memoryTotalBytes?: number | null;
  activeSessions?: number | null;
  extra?: Record<string, unknown>;
}

/**
 * Token counts and cost of a set of usage records: the fields `costs … --json` prints.
 * `totalTokens` = input + output + cache write + cache read (reasoning is part of output).
 */
export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  /** Summed as doubles, rounded to 1e-9 USD so both backends print the same figure. */
  costUsd: number;
}

/** `TokenTotals` plus how many records they add up. */
export interface UsageTotals extends TokenTotals {
  records: number;
}

export interface AgentUsage extends UsageTotals {
  agentType: string;
}

export interface ModelUsage extends UsageTotals {
  model: string;
}

/** Which usage records a cost question is about. Every given part must match. */
export interface CostFilter extends TimeRange {
  /** Agent types (`claude-code`, `codex`, …). */
  agents?: readonly string[];
  models?: readonly string[];
  /** The project path of the records' sessions (exact match). */
  projectPath?: string;
  sessionId?: string;
}

export type ReportGrouping = 'day' | 'week' | 'month';

export interface CostReportOptions {
  groupBy: ReportGrouping;
  /** IANA time zone the periods are cut in, e.g. `Europe/Paris`. Default `UTC`. */
  timeZone?: string;
  /** Narrows the records, as in `breakdown`. */
  filter?: Omit<CostFilter, 'from' | 'to'>;
}

/** One day, ISO week (Monday first) or month in the report's time zone. */
export interface CostPeriod {
  /** `YYYY-MM-DD` (day; week: its Monday) or `YYYY-MM` (month), in the report's zone. */
  period: string;
  /** First instant of the period in the zone (epoch ms); the period is `[startsAt, endsAt)`. */
  startsAt: number;
  endsAt: number;
  totals: UsageTotals;
  /** Per agent type, most expensive first. */
  agents: AgentUsage[];
  /** Per model, most expensive first. */
  models: ModelUsage[];
}

export interface CostReport {
  groupBy: ReportGrouping;
  timeZone: string;
  /** The range asked for, epoch ms; `null` = unbounded. */
  from: number | null;
  to: number | null;
  /** Periods that have records, oldest first. */
  periods: CostPeriod[];
  totals: UsageTotals;
}

/** Sessions of one agent. */
export interface AgentSessionCount {
  agentId: string;
  agentType: string;
  sessions: number;
}

/** Sessions started on one local day. */
export interface SessionDayCount {
  /** `YYYY-MM-DD` in the asked time zone. */
  day: string;
  /** First instant of that day in the zone (epoch ms). */
  startsAt: number;
  sessions: number;
}

export interface SessionDurationStats {
  sessions: number;
  /** Mean of (`endedAt`, else `lastActivityAt`) − `startedAt`; `null` without sessions. */
  averageMs: number | null;
}

/** Usage of the sessions of one project. */
export interface ProjectUsage extends UsageTotals {
  /** `null` for sessions without a known project. */
  projectPath: string | null;
  sessions: number;
}
