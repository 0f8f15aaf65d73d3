/**
 * What the engine needs from the cost engine: a price for one record's usage. The kernel
 * wires the shared `PricingService`; tests hand in a plain function.
 */
import type { PricingService } from '../pricing';
import type { UsageRecordInput } from '../storage/bulk';

/** One record's usage as the engine asks for its price (a `UsageRecordInput` is one). `inputTokens` is uncached input. */
export type UsageToPrice = Pick<
  UsageRecordInput,
  'agentType' | 'model' | 'provider' | 'inputTokens' | 'outputTokens' | 'cacheWriteTokens' | 'cacheWrite1hTokens' | 'cacheReadTokens' | 'reasoningTokens' | 'flags'
>;

export type PricedUsage = Pick<UsageRecordInput, 'costUsd' | 'costSource'> & {
  /** Set when the catalog does not know the model (it was priced at $0). */
  unknownModel?: string;
};

export interface UsagePricer {
  /** Called once at the start of every ingest run (e.g. to pick up synced prices). */
  prepare?(): Promise<void>;
  /** `reportedCostUsd`: the agent's own cost figure, when it logged one. */
  price(usage: UsageToPrice, reportedCostUsd?: number): PricedUsage;
}

/** A pricer from a plain function. */
export function usagePricer(price: (usage: UsageToPrice, reportedCostUsd?: number) => PricedUsage): UsagePricer {
  return { price };
}

/**
 * Prices with the shared `PricingService` in its default mode (`auto`: the agent's reported
 * cost when it logged one), the service loaded by the first run that has something to price
 * (`prepare`): a run that finds nothing new — most reports — never reads the catalog. Adapters
 * flag Claude's fast mode as `fast` (from `usage.speed`).
 */
export function lazyPricingServicePricer(load: () => Promise<Pick<PricingService, 'price'>>): UsagePricer {
  let service: Pick<PricingService, 'price'> | undefined;
  let loading: Promise<Pick<PricingService, 'price'>> | undefined;
  return {
    async prepare() {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      service = await loading;
    },
    price(usage, reportedCostUsd) {
      if (service === undefined) throw new Error('the pricing service was used before the ingest run prepared it');
      return priceWith(service, usage, reportedCostUsd);
    },
  };
}

function priceWith(service: Pick<PricingService, 'price'>, usage: UsageToPrice, reportedCostUsd: number | undefined): PricedUsage {
  return service.price({
    model: usage.model,
    provider: usage.provider,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    cacheWrite1hTokens: usage.cacheWrite1hTokens,
    cacheReadTokens: usage.cacheReadTokens,
    costUsd: reportedCostUsd,
    speed: usage.flags !== undefined && usage.flags.includes('fast') ? 'fast' : undefined,
  });
}
