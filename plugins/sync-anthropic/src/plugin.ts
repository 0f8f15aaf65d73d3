import {
  defineSync,
  fetchAllPages,
  fetchSourceJson,
  isJsonObject,
  modelInfo,
  nonEmptyString,
  positiveCount,
  readModels,
  requireApiKey,
  syncSettings,
  unexpectedShape,
  type ModelInfo,
  type PluginContext,
  type RejectedModel,
} from '@rimuru/sdk';

const SOURCE = 'anthropic';
const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const API_VERSION = '2023-06-01';
/** The API's largest page. */
const PAGE_SIZE = 1000;

function readModel(raw: unknown): ModelInfo | RejectedModel {
  if (!isJsonObject(raw)) return { model: '(unnamed)', reason: 'the entry is not an object' };
  const id = nonEmptyString(raw.id);
  if (id === undefined || id.length > 200) return { model: String(raw.id ?? '(unnamed)').slice(0, 200), reason: 'id is missing or longer than 200 characters' };
  // Newer API versions add the limits; older ones leave the price lists to say.
  return modelInfo(SOURCE, id, {
    displayName: nonEmptyString(raw.display_name),
    contextWindow: positiveCount(raw.max_input_tokens),
    maxOutputTokens: positiveCount(raw.max_tokens),
  });
}

/**
 * Anthropic's own list of the models its API serves (`GET /v1/models`, paginated with
 * `after_id`): the official names, display names and — where the API version returns them —
 * context windows. No prices. Needs ANTHROPIC_API_KEY (or `sync.providers.anthropic.apiKey`);
 * without one it is skipped.
 */
export default defineSync({
  official: true,
  priority: 10,
  async fetchModels(ctx: PluginContext) {
    const settings = syncSettings(ctx, { baseUrl: DEFAULT_BASE_URL, maxBytes: 4 * 1024 * 1024 });
    const key = await requireApiKey(ctx, settings, SOURCE, ['ANTHROPIC_API_KEY']);
    const { entries, truncated } = await fetchAllPages(async (afterId) => {
      const query = `limit=${PAGE_SIZE}${afterId === undefined ? '' : `&after_id=${encodeURIComponent(afterId)}`}`;
      const body = await fetchSourceJson(ctx, {
        source: SOURCE,
        url: `${settings.baseUrl}/v1/models?${query}`,
        headers: { 'x-api-key': key, 'anthropic-version': API_VERSION },
        settings,
        secrets: [key],
      });
      if (!isJsonObject(body) || !Array.isArray(body.data)) unexpectedShape(SOURCE, 'no "data" array of models');
      const lastId = nonEmptyString(body.last_id);
      return { entries: body.data, ...(body.has_more === true && lastId !== undefined ? { next: lastId } : {}) };
    });
    if (truncated) ctx.log.warn('stopped paging through the model list early', { models: entries.length });
    return readModels(entries, readModel);
  },
});
