/**
 * What the engine needs from the cost engine: a price for one record's usage. The kernel
 * wires the shared `PricingService`; tests hand in a plain function.
 */

/** One record's usage as the engine asks for its price. `inputTokens` is uncached input. */
export interface UsageToPrice {
  agentType: string;
  model: string;
  provider?: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  /** Part of `cacheWriteTokens`. */
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** Part of `outputTokens`. */
  reasoningTokens: number;
  /** The agent's own cost figure, when it logged one. */
  reportedCostUsd?: number;
  flags?: string[];
}

export interface PricedUsage {
  costUsd: number;
  costSource: 'reported' | 'calculated';
  /** Set when the catalog does not know the model (it was priced at $0). */
  unknownModel?: string;
}

export interface UsagePricer {
  /** Called once at the start of every ingest run (e.g. to pick up synced prices). */
  prepare?(): Promise<void>;
  price(usage: UsageToPrice): PricedUsage;
}

/** A pricer from a plain function. */
export function usagePricer(price: (usage: UsageToPrice) => PricedUsage): UsagePricer {
  return { price };
}

/** The slice of the cost engine's `PricingService` the engine prices with. */
export interface PricingServiceLike {
  price(request: {
    model: string;
    provider?: string | null;
    inputTokens: number;
    outputTokens: number;
    cacheWriteTokens: number;
    cacheWrite1hTokens?: number;
    cacheReadTokens: number;
    costUsd?: number;
    speed?: string;
  }): PricedUsage;
}

/**
 * Prices with the shared `PricingService` in its default mode (`auto`: the agent's reported
 * cost when it logged one). Adapters flag Claude's fast mode as `fast` (from `usage.speed`).
 */
export function pricingServicePricer(service: PricingServiceLike): UsagePricer {
  return {
    price: (usage) =>
      service.price({
        model: usage.model,
        provider: usage.provider,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheWriteTokens: usage.cacheWriteTokens,
        cacheWrite1hTokens: usage.cacheWrite1hTokens,
        cacheReadTokens: usage.cacheReadTokens,
        costUsd: usage.reportedCostUsd,
        speed: usage.flags !== undefined && usage.flags.includes('fast') ? 'fast' : undefined,
      }),
  };
}
