import { defineSync, fetchSourceJson, isJsonObject, nonEmptyString, requireApiKey, syncSettings, unexpectedShape, type ModelInfo, type PluginContext, type RejectedModel } from '@rimuru/sdk';

const SOURCE = 'google';
/** Price lists name the Generative Language API's models under this provider (`gemini/gemini-2.5-pro`). */
const PROVIDER = 'gemini';
const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
const PAGE_SIZE = 1000;
const MAX_PAGES = 50;

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function readModel(raw: unknown): ModelInfo | RejectedModel {
  if (!isJsonObject(raw)) return { model: '(unnamed)', reason: 'the entry is not an object' };
  const name = nonEmptyString(raw.name);
  const id = name?.replace(/^models\//, '');
  if (id === undefined || id === '' || id.length > 200) return { model: String(raw.name ?? '(unnamed)').slice(0, 200), reason: 'name is missing or not models/<id>' };
  const displayName = nonEmptyString(raw.displayName);
  const contextWindow = positiveInt(raw.inputTokenLimit);
  const maxOutputTokens = positiveInt(raw.outputTokenLimit);
  return {
    provider: PROVIDER,
    model: id,
    ...(displayName === undefined ? {} : { displayName: displayName.slice(0, 200) }),
    ...(contextWindow === undefined ? {} : { contextWindow }),
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
  };
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
    const models: ModelInfo[] = [];
    const rejected: RejectedModel[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = `pageSize=${PAGE_SIZE}${pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`;
      const body = await fetchSourceJson(ctx, {
        source: SOURCE,
        url: `${settings.baseUrl}/v1beta/models?${query}`,
        headers: { 'x-goog-api-key': key },
        settings,
        secrets: [key],
      });
      if (!isJsonObject(body) || (body.models !== undefined && !Array.isArray(body.models))) unexpectedShape(SOURCE, 'no "models" array');
      for (const raw of (body.models as unknown[] | undefined) ?? []) {
        const entry = readModel(raw);
        if ('reason' in entry) rejected.push(entry);
        else models.push(entry);
      }
      const next = nonEmptyString(body.nextPageToken);
      if (next === undefined || next === pageToken) return { models, rejected };
      pageToken = next;
    }
    ctx.log.warn(`stopped after ${MAX_PAGES} pages of models`, { models: models.length });
    return { models, rejected };
  },
});
