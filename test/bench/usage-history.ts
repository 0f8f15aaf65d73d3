import type { UsageRecordInput } from '../../kernel/services/storage/bulk';
import { seededRandom } from '../fixtures/storage/usage-generator';

/**
 * A usage history shaped like a real one, for the storage benchmark: 2,000 sessions of five
 * agents over 180 days, each a run of model calls seconds apart on one main model (and a small
 * side model for some), with a context that grows call by call and is read back from the
 * prompt cache, and costs from per-model prices. Deterministic: every batch has its own seeded
 * stream, so any batch can be made on its own — a million records never sit in memory at once,
 * and a second pass makes exactly the same records.
 */

export const DAY_MS = 86_400_000;

interface Prices {
  /** USD per million tokens. */
  input: number;
  output: number;
  cacheWrite: number;
  cacheWrite1h: number;
  cacheRead: number;
}

interface ModelSpec {
  provider: string;
  prices: Prices;
  /** Part of the output is reasoning. */
  reasoning: boolean;
  /** Anthropic-style caching (explicit cache writes); the others only read cached input. */
  cacheWrites: boolean;
}

const anthropic = (input: number, output: number): ModelSpec => ({
  provider: 'anthropic',
  prices: { input, output, cacheWrite: input * 1.25, cacheWrite1h: input * 2, cacheRead: input * 0.1 },
  reasoning: false,
  cacheWrites: true,
});
const other = (provider: string, input: number, output: number, cacheRead: number, reasoning: boolean): ModelSpec => ({
  provider,
  prices: { input, output, cacheWrite: 0, cacheWrite1h: 0, cacheRead },
  reasoning,
  cacheWrites: false,
});

/** Fifteen models, list prices of late 2025. */
export const MODELS: Readonly<Record<string, ModelSpec>> = {
  'claude-opus-4-1': anthropic(15, 75),
  'claude-sonnet-4-5': anthropic(3, 15),
  'claude-sonnet-4': anthropic(3, 15),
  'claude-3-7-sonnet': anthropic(3, 15),
  'claude-haiku-4-5': anthropic(1, 5),
  'gpt-5': other('openai', 1.25, 10, 0.125, true),
  'gpt-5-codex': other('openai', 1.25, 10, 0.125, true),
  'gpt-5-mini': other('openai', 0.25, 2, 0.025, true),
  o3: other('openai', 2, 8, 0.5, true),
  'gpt-4.1': other('openai', 2, 8, 0.5, false),
  'gemini-2.5-pro': other('google', 1.25, 10, 0.31, true),
  'gemini-2.5-flash': other('google', 0.3, 2.5, 0.075, true),
  'deepseek-chat': other('deepseek', 0.27, 1.1, 0.07, false),
  'qwen3-coder': other('alibaba', 0.45, 1.8, 0.1, false),
  'grok-code-fast-1': other('xai', 0.2, 1.5, 0.02, true),
};

interface AgentSpec {
  type: string;
  /** Share of sessions. */
  weight: number;
  /** Main model of a session, by weight. */
  models: ReadonlyArray<readonly [string, number]>;
  /** The small model some calls go to, and how often. */
  side: { model: string; share: number } | null;
  costSource: 'reported' | 'calculated';
}

const AGENTS: readonly AgentSpec[] = [
  {
    type: 'claude-code',
    weight: 0.4,
    models: [['claude-sonnet-4-5', 0.6], ['claude-opus-4-1', 0.2], ['claude-sonnet-4', 0.15], ['claude-3-7-sonnet', 0.05]],
    side: { model: 'claude-haiku-4-5', share: 0.2 },
    costSource: 'calculated',
  },
  { type: 'codex', weight: 0.25, models: [['gpt-5-codex', 0.6], ['gpt-5', 0.3], ['o3', 0.1]], side: { model: 'gpt-5-mini', share: 0.1 }, costSource: 'calculated' },
  {
    type: 'opencode',
    weight: 0.15,
    models: ['claude-sonnet-4-5', 'gpt-5', 'gemini-2.5-pro', 'deepseek-chat', 'qwen3-coder', 'grok-code-fast-1', 'gpt-4.1'].map((model) => [model, 1] as const),
    side: null,
    costSource: 'reported',
  },
  { type: 'gemini-cli', weight: 0.1, models: [['gemini-2.5-pro', 0.8], ['gemini-2.5-flash', 0.2]], side: { model: 'gemini-2.5-flash', share: 0.25 }, costSource: 'calculated' },
  {
    type: 'cursor',
    weight: 0.1,
    models: [['claude-sonnet-4-5', 0.3], ['gpt-5', 0.3], ['grok-code-fast-1', 0.2], ['gemini-2.5-pro', 0.1], ['gpt-4.1', 0.1]],
    side: null,
    costSource: 'reported',
  },
];

interface Session {
  id: string;
  agent: AgentSpec;
  model: string;
  /** Index of its first record in the history; its records are contiguous, as an ingest of one log file writes them. */
  first: number;
  count: number;
  startsAt: number;
  /** Mean time between two calls. */
  gapMs: number;
  /** Context tokens at the first call, and added per call until the context is compacted. */
  contextBase: number;
  contextGrowth: number;
}

/** What the history adds up to, counted as it is made: what every aggregate must equal. */
export interface HistoryTotals {
  records: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costUsd: number;
  /** Records per model, per UTC day (`YYYY-MM-DD`) and per UTC month (`YYYY-MM`). */
  byModel: Map<string, number>;
  byDay: Map<string, number>;
  byMonth: Map<string, number>;
}

export interface HistoryOptions {
  seed: number;
  records: number;
  sessions: number;
  days: number;
  /** Records fall in `[to − days, to)`. */
  to: number;
  batchSize: number;
}

const MAX_CONTEXT = 180_000;
const MAX_SESSION_MS = 72 * 3_600_000;

function weighted<T>(random: () => number, items: ReadonlyArray<readonly [T, number]>): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0);
  let at = random() * total;
  for (const [item, weight] of items) {
    at -= weight;
    if (at < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

/** exp(N(μ, σ)): token counts and session lengths are long-tailed. */
function logNormal(random: () => number, median: number, sigma: number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * normal);
}

function hex(random: () => number, digits: number): string {
  let text = '';
  while (text.length < digits) text += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return text.slice(0, digits);
}

export class UsageHistory {
  readonly from: number;
  readonly to: number;
  readonly batches: number;
  private readonly sessions: Session[] = [];

  constructor(private readonly options: HistoryOptions) {
    this.to = options.to;
    this.from = options.to - options.days * DAY_MS;
    this.batches = Math.ceil(options.records / options.batchSize);
    const random = seededRandom(options.seed);
    const weights = Array.from({ length: options.sessions }, () => logNormal(random, 1, 1));
    const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
    // Every session gets one record, the rest in proportion to its weight; what rounding leaves goes one each from the first.
    const counts = weights.map((weight) => 1 + Math.floor((weight / weightSum) * (options.records - options.sessions)));
    let left = options.records - counts.reduce((sum, count) => sum + count, 0);
    for (let index = 0; left > 0; index = (index + 1) % counts.length, left--) counts[index] = (counts[index] as number) + 1;
    let first = 0;
    for (let index = 0; index < options.sessions; index++) {
      const agent = weighted(random, AGENTS.map((spec) => [spec, spec.weight] as const));
      const count = counts[index] as number;
      const gapMs = Math.min(6_000 + random() * 40_000, MAX_SESSION_MS / count);
      const duration = Math.ceil(count * gapMs);
      // Mostly working hours (08:00–20:00 UTC), some at any time.
      const timeOfDay = random() < 0.7 ? (8 + random() * 12) * 3_600_000 : random() * DAY_MS;
      const day = Math.floor(random() * options.days);
      const startsAt = Math.min(this.from + day * DAY_MS + Math.floor(timeOfDay), this.to - duration - 1);
      this.sessions.push({
        id: `${agent.type}:${hex(random, 8)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 4)}-${hex(random, 12)}`,
        agent,
        model: weighted(random, agent.models),
        first,
        count,
        startsAt: Math.max(this.from, startsAt),
        gapMs,
        contextBase: Math.floor(12_000 + random() * 20_000),
        contextGrowth: Math.floor(300 + random() * 1_500),
      });
      first += count;
    }
  }

  get records(): number {
    return this.options.records;
  }

  get sessionCount(): number {
    return this.sessions.length;
  }

  /** Batch `index` (0-based): the same records every time it is asked for. */
  batch(index: number): UsageRecordInput[] {
    const { batchSize, records: total, seed } = this.options;
    const random = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const start = index * batchSize;
    const end = Math.min(total, start + batchSize);
    const out = new Array<UsageRecordInput>(end - start);
    let sessionIndex = this.sessionAt(start);
    for (let at = start; at < end; at++) {
      let session = this.sessions[sessionIndex] as Session;
      if (at >= session.first + session.count) session = this.sessions[++sessionIndex] as Session;
      out[at - start] = this.record(session, at - session.first, random);
    }
    return out;
  }

  /** Makes every batch once and adds them up. */
  totals(): HistoryTotals {
    const totals: HistoryTotals = {
      records: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      reasoningTokens: 0,
      costUsd: 0,
      byModel: new Map(),
      byDay: new Map(),
      byMonth: new Map(),
    };
    const days = new Map<number, number>();
    for (let index = 0; index < this.batches; index++) {
      for (const record of this.batch(index)) {
        totals.records++;
        totals.inputTokens += record.inputTokens;
        totals.outputTokens += record.outputTokens;
        totals.cacheWriteTokens += record.cacheWriteTokens;
        totals.cacheReadTokens += record.cacheReadTokens;
        totals.reasoningTokens += record.reasoningTokens ?? 0;
        totals.costUsd += record.costUsd;
        totals.byModel.set(record.model, (totals.byModel.get(record.model) ?? 0) + 1);
        const day = Math.floor(record.recordedAt / DAY_MS);
        days.set(day, (days.get(day) ?? 0) + 1);
      }
    }
    for (const [day, count] of days) {
      const date = new Date(day * DAY_MS).toISOString();
      totals.byDay.set(date.slice(0, 10), count);
      totals.byMonth.set(date.slice(0, 7), (totals.byMonth.get(date.slice(0, 7)) ?? 0) + count);
    }
    return totals;
  }

  private sessionAt(recordIndex: number): number {
    let low = 0;
    let high = this.sessions.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.sessions[mid] as Session).first <= recordIndex) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private record(session: Session, call: number, random: () => number): UsageRecordInput {
    const side = session.agent.side !== null && random() < session.agent.side.share;
    const model = side ? (session.agent.side?.model as string) : session.model;
    const spec = MODELS[model] as ModelSpec;
    // A side model sees a short prompt; the main one its whole context, compacted every 150 calls.
    const context = side
      ? Math.floor(2_000 + random() * 8_000)
      : Math.min(MAX_CONTEXT, session.contextBase + (call % 150) * session.contextGrowth);
    const fresh = Math.floor(logNormal(random, 900, 1.2));
    let inputTokens: number;
    let cacheWriteTokens = 0;
    let cacheWrite1hTokens = 0;
    let cacheReadTokens: number;
    if (call === 0 || (!side && call % 150 === 0)) {
      // A cold cache: the whole prompt is new.
      cacheReadTokens = 0;
      if (spec.cacheWrites) {
        inputTokens = Math.floor(3 + random() * 20);
        cacheWriteTokens = context;
      } else {
        inputTokens = context;
      }
    } else if (spec.cacheWrites) {
      inputTokens = Math.floor(3 + random() * 40);
      cacheWriteTokens = Math.min(30_000, fresh);
      cacheReadTokens = Math.max(0, context - cacheWriteTokens);
    } else {
      cacheReadTokens = Math.floor(context * (0.8 + random() * 0.15));
      inputTokens = context - cacheReadTokens + fresh;
    }
    if (cacheWriteTokens > 0 && session.agent.type === 'claude-code' && random() < 0.1) cacheWrite1hTokens = cacheWriteTokens;
    const outputTokens = Math.min(32_000, Math.floor(logNormal(random, 350, 1)));
    const reasoningTokens = spec.reasoning ? Math.floor(outputTokens * (0.2 + random() * 0.6)) : 0;
    const { prices } = spec;
    const cost =
      (inputTokens * prices.input +
        outputTokens * prices.output +
        (cacheWriteTokens - cacheWrite1hTokens) * prices.cacheWrite +
        cacheWrite1hTokens * prices.cacheWrite1h +
        cacheReadTokens * prices.cacheRead) /
      1e6;
    const record: UsageRecordInput = {
      // Message ids are random; the call number keeps them unique within the session.
      dedupKey: `${session.id}:msg_${hex(random, 16)}${call.toString(36)}`,
      sessionId: session.id,
      agentType: session.agent.type,
      model,
      provider: spec.provider,
      inputTokens,
      outputTokens,
      cacheWriteTokens,
      cacheWrite1hTokens,
      cacheReadTokens,
      reasoningTokens,
      // Whole micro-dollars, as the pricing engine rounds them.
      costUsd: Math.round(cost * 1e6) / 1e6,
      costSource: session.agent.costSource,
      recordedAt: session.startsAt + Math.floor(call * session.gapMs + random() * session.gapMs),
    };
    if (random() < 0.002) record.flags = ['fallback-model'];
    return record;
  }
}
