import { defineSync, fetchSourceJson, isJsonObject, modelInfo, nonEmptyString, readModels, requireApiKey, syncSettings, unexpectedShape, type ModelInfo, type PluginContext, type RejectedModel } from '@rimuru/sdk';

const SOURCE = 'openai';
const DEFAULT_BASE_URL = 'https://api.openai.com';

/**
 * OpenAI's own list of the models its API serves (`GET /v1/models`): official model ids only —
 * the API says nothing of prices or context windows, which the pricing sources supply. Needs
 * OPENAI_API_KEY (or `sync.providers.openai.apiKey`); without one it is skipped.
 */
export default defineSync({
  official: true,
  priority: 10,
  async fetchModels(ctx: PluginContext) {
    const settings = syncSettings(ctx, { baseUrl: DEFAULT_BASE_URL, maxBytes: 4 * 1024 * 1024 });
    const key = await requireApiKey(ctx, settings, SOURCE, ['OPENAI_API_KEY']);
    const body = await fetchSourceJson(ctx, {
      source: SOURCE,
      url: `${settings.baseUrl}/v1/models`,
      headers: { authorization: `Bearer ${key}` },
      settings,
      secrets: [key],
    });
    if (!isJsonObject(body) || !Array.isArray(body.data)) unexpectedShape(SOURCE, 'no "data" array of models');
    return readModels(body.data, (raw): ModelInfo | RejectedModel => {
      const id = isJsonObject(raw) ? nonEmptyString(raw.id) : undefined;
      if (id === undefined || id.length > 200) return { model: String((isJsonObject(raw) && raw.id) || '(unnamed)').slice(0, 200), reason: 'id is missing or longer than 200 characters' };
      return modelInfo(SOURCE, id);
    });
  },
});
