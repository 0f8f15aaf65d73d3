import {
  defineSync,
  fetchSourceJson,
  isJsonObject,
  modelInfo,
  positiveCount,
  syncSettings,
  unexpectedShape,
  type ModelInfo,
  type ModelPrices,
  type PluginContext,
  type RejectedModel,
} from '@rimuru/sdk';

const SOURCE = 'litellm';
/** The repository folder that holds LiteLLM's price list; `sync.providers.litellm.baseUrl` replaces it (a mirror, a proxy, a test server). */
const DEFAULT_BASE_URL = 'https://raw.githubusercontent.com/BerriAI/litellm/main';
const FILE = 'model_prices_and_context_window.json';

// LiteLLM's price keys → the SDK's price kinds.
const PRICE_KEYS: ReadonlyArray<[string, keyof ModelPrices]> = [
  ['input_cost_per_token', 'input'],
  ['output_cost_per_token', 'output'],
  ['cache_creation_input_token_cost', 'cacheWrite'],
  ['cache_creation_input_token_cost_above_1hr', 'cacheWrite1h'],
  ['cache_read_input_token_cost', 'cacheRead'],
  ['input_cost_per_token_above_200k_tokens', 'inputAbove200k'],
  ['output_cost_per_token_above_200k_tokens', 'outputAbove200k'],
  ['cache_creation_input_token_cost_above_200k_tokens', 'cacheWriteAbove200k'],
  ['cache_read_input_token_cost_above_200k_tokens', 'cacheReadAbove200k'],
];

/** One entry of the list: a model, a rejection, or `null` for an entry that is not a per-token model (images, audio by the second). */
function readEntry(model: string, raw: unknown): ModelInfo | RejectedModel | null {
  if (!isJsonObject(raw)) return { model, reason: 'the entry is not an object' };
  const provider = raw.litellm_provider;
  if (typeof provider !== 'string' || provider.trim() === '' || provider.length > 100) return { model, reason: 'litellm_provider is missing or not a name' };
  const prices: ModelPrices = {};
  for (const [key, kind] of PRICE_KEYS) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return { model, reason: `${key}: ${JSON.stringify(value).slice(0, 40)} is not a price` };
    prices[kind] = value;
  }
  if (prices.input === undefined && prices.output === undefined) return null;
  const capabilities = Object.keys(raw)
    .filter((key) => key.startsWith('supports_') && raw[key] === true)
    .map((key) => key.slice('supports_'.length))
    .sort();
  return modelInfo(provider, model, {
    prices,
    contextWindow: positiveCount(raw.max_input_tokens),
    maxOutputTokens: positiveCount(raw.max_output_tokens),
    capabilities,
  });
}

/**
 * LiteLLM's community-maintained price list: every price kind the cost engine knows (cache
 * writes 5 min and 1 h, cache reads, >200k tiers) for thousands of models, keyed the way the
 * embedded snapshot is. A pricing source, not the vendors' own word: `official: false`.
 */
export default defineSync({
  official: false,
  priority: 10,
  async fetchModels(ctx: PluginContext) {
    const settings = syncSettings(ctx, { baseUrl: DEFAULT_BASE_URL });
    const list = await fetchSourceJson(ctx, { source: SOURCE, url: `${settings.baseUrl}/${FILE}`, settings });
    if (!isJsonObject(list)) unexpectedShape(SOURCE, `${FILE} is not a JSON object of models`);
    const models: ModelInfo[] = [];
    const rejected: RejectedModel[] = [];
    for (const [model, raw] of Object.entries(list)) {
      if (model === 'sample_spec') continue;
      if (model.trim() !== model || model.length === 0 || model.length > 200) {
        rejected.push({ model: model.slice(0, 200), reason: 'the name is empty, too long or has surrounding spaces' });
        continue;
      }
      const entry = readEntry(model, raw);
      if (entry === null) continue;
      if ('reason' in entry) rejected.push(entry);
      else models.push(entry);
    }
    ctx.log.debug('read the LiteLLM price list', { models: models.length, rejected: rejected.length });
    return { models, rejected };
  },
});
