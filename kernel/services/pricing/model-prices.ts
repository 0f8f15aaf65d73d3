/**
 * What the cost engine knows about one model: its per-token prices (USD) and where they came
 * from. Field names follow the `models` table (`ModelPricing` in storage).
 */

/**
 * Per-token prices of one model, USD. `inputPrice` and `outputPrice` are always known (a model
 * without them is not in the catalog). Every other price may be `null` = not published:
 * `priceUsage` then applies the documented default (cache write 1.25 × input, 1-hour cache
 * write 2 × input, cache read 0.1 × input) or, for an `…Above200k` price, no tier at all.
 */
export interface ModelPrices {
  /** Uncached input. */
  inputPrice: number;
  outputPrice: number;
  /** 5-minute cache write (`cache_creation_input_token_cost`). */
  cacheWritePrice: number | null;
  /** 1-hour cache write (`cache_creation_input_token_cost_above_1hr`). */
  cacheWrite1hPrice: number | null;
  cacheReadPrice: number | null;
  inputPriceAbove200k: number | null;
  outputPriceAbove200k: number | null;
  cacheWritePriceAbove200k: number | null;
  /** `cache_creation_input_token_cost_above_1hr_above_200k_tokens`. */
  cacheWrite1hPriceAbove200k: number | null;
  cacheReadPriceAbove200k: number | null;
  /**
   * Claude fast mode (`usage.speed == "fast"`): the whole calculated cost is multiplied by this
   * (`provider_specific_entry.fast` in the snapshot). `null` = none published: fast mode then
   * costs the same as standard (multiplier 1).
   */
  fastMultiplier: number | null;
}

/** The price fields of `ModelPrices`. */
export const PRICE_FIELDS = [
  'inputPrice',
  'outputPrice',
  'cacheWritePrice',
  'cacheWrite1hPrice',
  'cacheReadPrice',
  'inputPriceAbove200k',
  'outputPriceAbove200k',
  'cacheWritePriceAbove200k',
  'cacheWrite1hPriceAbove200k',
  'cacheReadPriceAbove200k',
  'fastMultiplier',
] as const satisfies ReadonlyArray<keyof ModelPrices>;

const NOT_STORED = ['cacheWrite1hPriceAbove200k', 'fastMultiplier'] as const;
type StoredPriceField = Exclude<(typeof PRICE_FIELDS)[number], (typeof NOT_STORED)[number]>;

/** The prices a `models` row holds (the table has no 1-hour >200k price and no fast multiplier). */
export const STORED_PRICE_FIELDS: readonly StoredPriceField[] = PRICE_FIELDS.filter(
  (field): field is StoredPriceField => !(NOT_STORED as readonly string[]).includes(field),
);

/** Just the prices of a model (or of a lookup's answer). */
export function pricesOf(model: ModelPrices): ModelPrices {
  return Object.fromEntries(PRICE_FIELDS.map((field) => [field, model[field]])) as unknown as ModelPrices;
}

/** One model of the catalog: its name at a provider, its prices and where they came from. */
export interface CatalogModel extends ModelPrices {
  /** The model's name as the price list spells it (`claude-sonnet-4-5`, `anthropic/claude-sonnet-4.5`). */
  model: string;
  /** The price list's provider (`anthropic`, `openai`, `vertex_ai-language-models`, `openrouter`, …). */
  provider: string;
  /** `snapshot`, or the sync source that set at least one of its prices (`litellm`, `openrouter`, …). */
  source: string;
  /** Which source each price field came from, for fields that are known. */
  provenance: Partial<Record<keyof ModelPrices, string>>;
  /** Whether the embedded snapshot lists this provider/model (ranks it above store-only names). */
  inSnapshot: boolean;
  /** Epoch ms of the prices: the snapshot date, or the store row's `updatedAt`. */
  updatedAt: number;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  /** `supports_*` flags that are true, without the prefix (`vision`, `prompt_caching`, …). */
  capabilities: string[];
}

/** How `PricingCatalog.lookup` found a model. */
export type MatchKind = 'exact' | 'normalized' | 'date-suffix';

/** A lookup's answer: the model's prices, the catalog name they belong to, and how it matched. */
export type MatchedPrices = ModelPrices & {
  /** The catalog name the asked name resolved to. */
  matchedAs: string;
  matchedBy: MatchKind;
  provider: string;
  /** `snapshot` or the sync source that set at least one price. */
  source: string;
};
