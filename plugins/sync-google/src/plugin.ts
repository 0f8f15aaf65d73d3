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

const SOURCE = 'google';
/** Price lists name the Generative Language API's models under this provider (`gemini/gemini-2.5-pro`). */
const PROVIDER = 'gemini';
const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
const PAGE_SIZE = 1000;

function readModel(raw: unknown): ModelInfo | RejectedModel {
  if (!isJsonObject(raw)) return { model: '(unnamed)', reason: 'the entry is not an object' };
  const id = nonEmptyString(raw.name)?.replace(/^models\//, '');
  if (id === undefined || id === '' || id.length > 200) return { model: String(raw.name ?? '(unnamed)').slice(0, 200), reason: 'name is missing or not models/<id>' };
  return modelInfo(PROVIDER, id, {
    displayName: nonEmptyString(raw.displayName),
    contextWindow: positiveCount(raw.inputTokenLimit),
    maxOutputTokens: positiveCount(raw.outputTokenLimit),
  });
}

/**
 * Google's Generative Language model list (`GET /v1beta/models`, paginated with
 * `pageToken`): the official Gemini ids, display names and input/output token limits. No
 * prices. The key (GEMINI_API_KEY, GOOGLE_API_KEY or `sync.providers.google.apiKey`) goes in
 * the `x-goog-api-key` header, never in the URL, so it cannot end up in a logged address.
 */
export default defineSync({
  official: true,
  priority: 10,
  async fetchModels(ctx: PluginContext) {
    const settings = syncSettings(ctx, { baseUrl: DEFAULT_BASE_URL, maxBytes: 4 * 1024 * 1024 });
    const key = await requireApiKey(ctx, settings, SOURCE, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']);
    const { entries, truncated } = await fetchAllPages(async (pageToken) => {
      const query = `pageSize=${PAGE_SIZE}${pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`;
      const body = await fetchSourceJson(ctx, { source: SOURCE, url: `${settings.baseUrl}/v1beta/models?${query}`, headers: { 'x-goog-api-key': key }, settings, secrets: [key] });
      if (!isJsonObject(body) || (body.models !== undefined && !Array.isArray(body.models))) unexpectedShape(SOURCE, 'no "models" array');
      const next = nonEmptyString(body.nextPageToken);
      return { entries: (body.models as unknown[] | undefined) ?? [], ...(next === undefined ? {} : { next }) };
    });
    if (truncated) ctx.log.warn('stopped paging through the model list early', { models: entries.length });
    return readModels(entries, readModel);
  },
});
