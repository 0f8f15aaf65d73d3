/**
 * The embedded price snapshot (`data/litellm-prices.json`, LiteLLM's price list as of
 * `SNAPSHOT_DATE`) and the reader of price lists in LiteLLM's shape, validated at the door.
 */
import { z } from 'zod';
import { ErrorCodes, PricingError } from '../../core/errors';
import embeddedSnapshot from './data/litellm-prices.json';
import type { CatalogModel, ModelPrices } from './model-prices';

/** When the embedded snapshot was taken (`YYYY-MM`). Show it wherever snapshot prices are shown: they go stale. */
export const SNAPSHOT_DATE = '2026-07';

/** `SNAPSHOT_DATE` as epoch ms (first instant of the month, UTC): the `updatedAt` of snapshot prices. */
export const SNAPSHOT_UPDATED_AT = Date.UTC(Number(SNAPSHOT_DATE.slice(0, 4)), Number(SNAPSHOT_DATE.slice(5, 7)) - 1, 1);

/** The `source` of prices that come from the embedded snapshot. */
export const SNAPSHOT_SOURCE = 'snapshot';

const price = z.number().finite().nonnegative();
const tokenCount = z.number().int().positive();

// Only what pricing (and the `models` table) needs; every other key of an entry is dropped.
const liteLlmEntrySchema = z.object({
  litellm_provider: z.string().min(1).max(100),
  mode: z.string().optional(),
  input_cost_per_token: price.optional(),
  output_cost_per_token: price.optional(),
  cache_creation_input_token_cost: price.optional(),
  cache_creation_input_token_cost_above_1hr: price.optional(),
  cache_read_input_token_cost: price.optional(),
  input_cost_per_token_above_200k_tokens: price.optional(),
  output_cost_per_token_above_200k_tokens: price.optional(),
  cache_creation_input_token_cost_above_200k_tokens: price.optional(),
  cache_creation_input_token_cost_above_1hr_above_200k_tokens: price.optional(),
  cache_read_input_token_cost_above_200k_tokens: price.optional(),
  max_input_tokens: tokenCount.optional(),
  max_output_tokens: tokenCount.optional(),
  provider_specific_entry: z.object({ fast: z.number().finite().positive().optional() }).optional(),
});
type LiteLlmEntry = z.infer<typeof liteLlmEntrySchema>;

const MODEL_NAME_MAX = 200;

/** An entry of a price list that is not in the catalog, and why. */
export interface SkippedModel {
  model: string;
  reason: string;
}

export interface ParsedPriceList {
  models: CatalogModel[];
  skipped: SkippedModel[];
}

export interface PriceListOrigin {
  /** `source` and provenance of every price read (`snapshot`, `litellm`, …). */
  source: string;
  /** Epoch ms the prices are as of. */
  updatedAt: number;
  /** Whether these are the embedded snapshot's models. */
  inSnapshot: boolean;
}

function capabilitiesOf(raw: Record<string, unknown>): string[] {
  return Object.keys(raw)
    .filter((key) => key.startsWith('supports_') && raw[key] === true)
    .map((key) => key.slice('supports_'.length))
    .sort();
}

function toCatalogModel(model: string, entry: LiteLlmEntry, raw: Record<string, unknown>, origin: PriceListOrigin): CatalogModel | SkippedModel {
  if (entry.input_cost_per_token === undefined || entry.output_cost_per_token === undefined) {
    // Like ccusage: without both token prices the entry is not a per-token model (image, audio
    // by the second); pricing it would invent a figure.
    const missing = [entry.input_cost_per_token === undefined ? 'input_cost_per_token' : null, entry.output_cost_per_token === undefined ? 'output_cost_per_token' : null];
    return { model, reason: `no ${missing.filter((field) => field !== null).join(' or ')}` };
  }
  const prices: ModelPrices = {
    inputPrice: entry.input_cost_per_token,
    outputPrice: entry.output_cost_per_token,
    cacheWritePrice: entry.cache_creation_input_token_cost ?? null,
    cacheWrite1hPrice: entry.cache_creation_input_token_cost_above_1hr ?? null,
    cacheReadPrice: entry.cache_read_input_token_cost ?? null,
    inputPriceAbove200k: entry.input_cost_per_token_above_200k_tokens ?? null,
    outputPriceAbove200k: entry.output_cost_per_token_above_200k_tokens ?? null,
    cacheWritePriceAbove200k: entry.cache_creation_input_token_cost_above_200k_tokens ?? null,
    cacheWrite1hPriceAbove200k: entry.cache_creation_input_token_cost_above_1hr_above_200k_tokens ?? null,
    cacheReadPriceAbove200k: entry.cache_read_input_token_cost_above_200k_tokens ?? null,
    fastMultiplier: entry.provider_specific_entry?.fast ?? null,
  };
  const provenance: CatalogModel['provenance'] = {};
  for (const [field, value] of Object.entries(prices) as Array<[keyof ModelPrices, number | null]>) {
    if (value !== null) provenance[field] = origin.source;
  }
  return {
    ...prices,
    model,
    provider: entry.litellm_provider,
    source: origin.source,
    provenance,
    inSnapshot: origin.inSnapshot,
    updatedAt: origin.updatedAt,
    contextWindow: entry.max_input_tokens ?? null,
    maxOutputTokens: entry.max_output_tokens ?? null,
    capabilities: capabilitiesOf(raw),
  };
}

/**
 * Reads a price list in LiteLLM's shape (`{ "<model>": { input_cost_per_token, … } }`). An entry
 * that fails validation or has no input or output price is skipped and listed with the reason;
 * the list as a whole must be an object (a `sample_spec` entry, as LiteLLM ships, is ignored).
 *
 * @throws PricingError E8001 when `data` is not an object of entries.
 */
export function parseLiteLlmPriceList(data: unknown, origin: PriceListOrigin): ParsedPriceList {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new PricingError(ErrorCodes.PRICING_SNAPSHOT_INVALID, `the ${origin.source} price list is not a JSON object of models (got ${Array.isArray(data) ? 'an array' : typeof data})`);
  }
  const models: CatalogModel[] = [];
  const skipped: SkippedModel[] = [];
  for (const [model, raw] of Object.entries(data as Record<string, unknown>)) {
    if (model === 'sample_spec') continue;
    if (model.trim() !== model || model.length === 0 || model.length > MODEL_NAME_MAX) {
      skipped.push({ model, reason: `name must be 1–${MODEL_NAME_MAX} characters without surrounding spaces` });
      continue;
    }
    const parsed = liteLlmEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      skipped.push({ model, reason: `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}` });
      continue;
    }
    const result = toCatalogModel(model, parsed.data, raw as Record<string, unknown>, origin);
    if ('reason' in result) skipped.push(result);
    else models.push(result);
  }
  return { models, skipped };
}

let embedded: ParsedPriceList | undefined;

/**
 * The embedded snapshot, read and validated once per process.
 * @throws PricingError E8001 when the embedded file is unusable (a broken build).
 */
export function embeddedSnapshotModels(): ParsedPriceList {
  if (embedded === undefined) {
    const parsed = parseLiteLlmPriceList(embeddedSnapshot as unknown, { source: SNAPSHOT_SOURCE, updatedAt: SNAPSHOT_UPDATED_AT, inSnapshot: true });
    if (parsed.models.length === 0) {
      throw new PricingError(ErrorCodes.PRICING_SNAPSHOT_INVALID, `the embedded price snapshot (${SNAPSHOT_DATE}) has no usable model: reinstall Rimuru`, {
        details: { skipped: parsed.skipped.slice(0, 5) },
      });
    }
    embedded = parsed;
  }
  return embedded;
}
