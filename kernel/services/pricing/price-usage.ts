/**
 * The price of one model call: Σ tokens × per-token price for each kind of token, with the
 * >200k tier and Claude's fast mode, or the agent's own figure, depending on the cost mode.
 */
import type { ModelPrices } from './model-prices';

export const COST_MODES = ['auto', 'calculate', 'display'] as const;
/**
 * - `auto`: the agent's reported cost when the record has one, else calculated from tokens;
 * - `calculate`: always calculated from tokens (reported costs ignored);
 * - `display`: only reported costs ($0 where the agent reported none).
 */
export type CostMode = (typeof COST_MODES)[number];

/** Token count above which a kind of token is billed at its `…Above200k` price. */
export const LONG_CONTEXT_THRESHOLD = 200_000;

/** Defaults for cache prices a model does not publish, as multiples of its input price. */
export const DEFAULT_CACHE_MULTIPLIERS = Object.freeze({ write5m: 1.25, write1h: 2, read: 0.1 });

/** The usage of one model call, as ingestion hands it over (a `UsageRecord` fits). */
export interface PricedUsage {
  /** The model as logged; named in `unknownModel` when it has no prices. */
  model: string;
  /** Uncached input. */
  inputTokens: number;
  /** Includes reasoning tokens (never priced twice). */
  outputTokens: number;
  /** All cache writes, 5-minute and 1-hour. */
  cacheWriteTokens: number;
  /** The part of `cacheWriteTokens` written with the 1-hour TTL. Default 0. */
  cacheWrite1hTokens?: number;
  cacheReadTokens: number;
  /** The agent's own cost figure, when it reported one (a finite, non-negative number). */
  costUsd?: number;
  /** Claude `usage.speed`: `fast` applies the model's fast multiplier. */
  speed?: string;
  /** Record flags; `fast` marks fast mode too (the Claude adapter sets it, a `UsageRecord` has no `speed`). */
  flags?: readonly string[];
}

/** Whether the call ran in Claude's fast mode (`speed == "fast"` or the `fast` flag). */
export function isFastMode(usage: PricedUsage): boolean {
  return usage.speed === 'fast' || (usage.flags?.includes('fast') ?? false);
}

export interface PriceResult {
  costUsd: number;
  costSource: 'reported' | 'calculated';
  /** The model's name when it had to be priced from tokens but the catalog does not know it ($0). */
  unknownModel?: string;
}

function tokens(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function reportedCost(usage: PricedUsage): number | undefined {
  const cost = usage.costUsd;
  return cost !== undefined && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

/**
 * The cost of `count` tokens of one kind: all at `base` up to `LONG_CONTEXT_THRESHOLD`
 * (inclusive), and the tokens beyond it at `above` when the model has an above-200k price for
 * this kind; without one every token costs `base`.
 *
 * This is ccusage@20.0.24's rule for LiteLLM `*_above_200k_tokens` prices (`tiered_cost` in
 * `rust/crates/ccusage-core/src/cost.rs`, the same as `calculateTieredCost` in its older
 * TypeScript `packages/internal/src/pricing.ts`): the threshold is applied to each kind of token
 * on its own (input, output, 5-minute write, 1-hour write, read), marginally — 200,000 tokens
 * cost the base price, 200,001 cost 200,000 × base + 1 × above.
 */
export function tieredCost(count: number, base: number, above: number | null): number {
  if (count <= 0) return 0;
  if (above !== null && count > LONG_CONTEXT_THRESHOLD) return LONG_CONTEXT_THRESHOLD * base + (count - LONG_CONTEXT_THRESHOLD) * above;
  return count * base;
}

/**
 * The calculated cost of `usage` at `prices`, in USD (unrounded). Kinds are summed in the
 * order input, output, 5-minute cache write, 1-hour cache write, cache read, as ccusage sums
 * them, so the same doubles come out.
 *
 * - 5-minute writes (`cacheWriteTokens − cacheWrite1hTokens`) at `cacheWritePrice`, else
 *   1.25 × input; 1-hour writes at `cacheWrite1hPrice`, else 2 × input; reads at
 *   `cacheReadPrice`, else 0.1 × input (AGENT-FORMATS.md, "Pricing").
 * - The 1-hour write's >200k price is `cacheWrite1hPriceAbove200k`, else 2 × `inputPriceAbove200k`
 *   (ccusage's rule). ccusage prices every 1-hour write at 2 × input; here the snapshot's own
 *   1-hour price wins — the same figure for every model of the July 2026 snapshot except
 *   `claude-3-haiku-20240307` and `claude-3-opus-20240229`, whose listed 1-hour price (6e-6) is
 *   not twice their input price.
 * - Fast mode (`isFastMode`) multiplies the total by `fastMultiplier`, like ccusage; a model
 *   without one (`null`) costs the same in fast mode.
 * - Reasoning tokens are part of `outputTokens` and are not priced again.
 */
export function calculateCost(usage: PricedUsage, prices: ModelPrices): number {
  const input = prices.inputPrice;
  const write5mPrice = prices.cacheWritePrice ?? input * DEFAULT_CACHE_MULTIPLIERS.write5m;
  const write1hPrice = prices.cacheWrite1hPrice ?? input * DEFAULT_CACHE_MULTIPLIERS.write1h;
  const readPrice = prices.cacheReadPrice ?? input * DEFAULT_CACHE_MULTIPLIERS.read;
  const write1hAbove =
    prices.cacheWrite1hPriceAbove200k ?? (prices.inputPriceAbove200k === null ? null : prices.inputPriceAbove200k * DEFAULT_CACHE_MULTIPLIERS.write1h);

  const cacheWrites = tokens(usage.cacheWriteTokens);
  const writes1h = Math.min(tokens(usage.cacheWrite1hTokens), cacheWrites);
  const writes5m = cacheWrites - writes1h;

  const cost =
    tieredCost(tokens(usage.inputTokens), input, prices.inputPriceAbove200k) +
    tieredCost(tokens(usage.outputTokens), prices.outputPrice, prices.outputPriceAbove200k) +
    tieredCost(writes5m, write5mPrice, prices.cacheWritePriceAbove200k) +
    tieredCost(writes1h, write1hPrice, write1hAbove) +
    tieredCost(tokens(usage.cacheReadTokens), readPrice, prices.cacheReadPriceAbove200k);
  return isFastMode(usage) ? cost * (prices.fastMultiplier ?? 1) : cost;
}

/**
 * Prices one model call in `mode`. `prices` is what `PricingCatalog.lookup` found for
 * `usage.model` (`null` = unknown model).
 *
 * An unknown model that has to be calculated costs $0 and is named in `unknownModel` — unless
 * it used no tokens (e.g. Claude's `<synthetic>` error entries), which costs $0 without a
 * warning. A reported cost that is not a finite, non-negative number counts as not reported.
 */
export function priceUsage(usage: PricedUsage, prices: ModelPrices | null, mode: CostMode): PriceResult {
  const reported = reportedCost(usage);
  if (mode === 'display') return { costUsd: reported ?? 0, costSource: 'reported' };
  if (mode === 'auto' && reported !== undefined) return { costUsd: reported, costSource: 'reported' };
  if (prices !== null) return { costUsd: calculateCost(usage, prices), costSource: 'calculated' };
  const used = tokens(usage.inputTokens) + tokens(usage.outputTokens) + tokens(usage.cacheWriteTokens) + tokens(usage.cacheReadTokens);
  return used > 0 ? { costUsd: 0, costSource: 'calculated', unknownModel: usage.model } : { costUsd: 0, costSource: 'calculated' };
}
