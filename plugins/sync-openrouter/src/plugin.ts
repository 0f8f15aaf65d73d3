import {
  defineSync,
  fetchSourceJson,
  isJsonObject,
  modelInfo,
  nonEmptyString,
  positiveCount,
  readModels,
  syncSettings,
  unexpectedShape,
  type ModelInfo,
  type ModelPrices,
  type PluginContext,
  type RejectedModel,
} from '@rimuru/sdk';

const SOURCE = 'openrouter';
const DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

// OpenRouter's `pricing` keys (USD per token, as decimal strings) → the SDK's price kinds.
const PRICE_KEYS: ReadonlyArray<[string, keyof ModelPrices]> = [
  ['prompt', 'input'],
  ['completion', 'output'],
  ['input_cache_write', 'cacheWrite'],
  ['input_cache_read', 'cacheRead'],
];

const DECIMAL = /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * A per-token price as OpenRouter writes it: a decimal string (`"0.000003"`). `-1` is its
 * "varies" (the auto router) and `""` or null mean none: all three are no price, not $0.
 * Anything else that is not a number is an error naming the field.
 */
export function readPrice(value: unknown, field: string): { price?: number } | { reason: string } {
  if (value === undefined || value === null || value === '' || value === '-1' || value === -1) return {};
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? { price: value } : { reason: `pricing.${field}: ${value} is not a price` };
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return { price: Number(value.trim()) };
  return { reason: `pricing.${field}: ${JSON.stringify(value).slice(0, 40)} is not a price` };
}

function readModel(raw: unknown): ModelInfo | RejectedModel {
  if (!isJsonObject(raw)) return { model: '(unnamed)', reason: 'the entry is not an object' };
  const id = nonEmptyString(raw.id);
  if (id === undefined || id.length > 200) return { model: String(raw.id ?? '(unnamed)').slice(0, 200), reason: 'id is missing or longer than 200 characters' };
  const prices: ModelPrices = {};
  const pricing = isJsonObject(raw.pricing) ? raw.pricing : {};
  for (const [key, kind] of PRICE_KEYS) {
    const read = readPrice(pricing[key], key);
    if ('reason' in read) return { model: id, reason: read.reason };
    if (read.price !== undefined) prices[kind] = read.price;
  }
  const topProvider = isJsonObject(raw.top_provider) ? raw.top_provider : {};
  return modelInfo(SOURCE, id, {
    prices,
    displayName: nonEmptyString(raw.name),
    contextWindow: positiveCount(raw.context_length) ?? positiveCount(topProvider.context_length),
    maxOutputTokens: positiveCount(topProvider.max_completion_tokens),
  });
}

/**
 * OpenRouter's model list: hundreds of models of every vendor (ids like
 * `anthropic/claude-sonnet-4.5`) with the per-token prices it charges, often days before a
 * price list has them. A pricing source: `official: false`. The list is public; a key
 * (OPENROUTER_API_KEY or `sync.providers.openrouter.apiKey`) is sent when there is one.
 */
export default defineSync({
  official: false,
  priority: 20,
  async fetchModels(ctx: PluginContext) {
    const settings = syncSettings(ctx, { baseUrl: DEFAULT_BASE_URL });
    const key = settings.apiKey ?? (await ctx.env.get('OPENROUTER_API_KEY'));
    const body = await fetchSourceJson(ctx, {
      source: SOURCE,
      url: `${settings.baseUrl}/models`,
      settings,
      ...(key ? { headers: { authorization: `Bearer ${key}` }, secrets: [key] } : {}),
    });
    if (!isJsonObject(body) || !Array.isArray(body.data)) unexpectedShape(SOURCE, 'no "data" array of models');
    return readModels(body.data, readModel);
  },
});
