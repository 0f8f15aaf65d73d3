/**
 * The five sync plugins, each in the real sandbox against a real server on 127.0.0.1 that
 * answers in its source's shape: what each reads, how it pages, where its key goes, and every
 * way a source can fail — each a clear, per-provider outcome.
 */
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { SyncOutcome } from '../../../sdk/src/kinds/sync';
import { usePluginRuns } from '../plugin-runs';
import { ANTHROPIC_KEY, GOOGLE_KEY, NEW_MODEL, OPENAI_KEY, startProviderServer, type ProviderServer, type Route } from './provider-server';

const PLUGINS = path.resolve(__dirname, '../../../plugins');
const MiB = 1024 * 1024;

type Ok = Extract<SyncOutcome, { status: 'ok' }>;
type Failed = Extract<SyncOutcome, { status: 'failed' }>;

const runsOf: Record<Route, ReturnType<typeof usePluginRuns>> = {
  litellm: usePluginRuns(path.join(PLUGINS, 'sync-litellm')),
  openrouter: usePluginRuns(path.join(PLUGINS, 'sync-openrouter')),
  anthropic: usePluginRuns(path.join(PLUGINS, 'sync-anthropic')),
  openai: usePluginRuns(path.join(PLUGINS, 'sync-openai')),
  google: usePluginRuns(path.join(PLUGINS, 'sync-google')),
};

const KEYS: Partial<Record<Route, Record<string, string>>> = {
  anthropic: { ANTHROPIC_API_KEY: ANTHROPIC_KEY },
  openai: { OPENAI_API_KEY: OPENAI_KEY },
  google: { GEMINI_API_KEY: GOOGLE_KEY },
};

let server: ProviderServer;
beforeEach(async () => {
  server = await startProviderServer({ anthropicPageSize: 2, googlePageSize: 1 });
});
afterEach(async () => {
  await server.close();
});

/** Runs a plugin granted only the test server, pointed at its route, and asks it for its models. */
async function fetchModels(route: Route, options: { env?: Record<string, string>; config?: Record<string, unknown> } = {}): Promise<SyncOutcome> {
  const run = await runsOf[route].start({
    permissions: { net: [`127.0.0.1:${server.port}`], env: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'OPENROUTER_API_KEY'] },
    config: { baseUrl: server.baseUrl(route), timeoutMs: 2_000, maxBytes: 4 * MiB, ...options.config },
    env: { HOME: '/nonexistent', ...(options.env ?? KEYS[route] ?? {}) },
  });
  return run.plugin.invoke<SyncOutcome>('fetchModels');
}

async function ok(route: Route, options?: Parameters<typeof fetchModels>[1]): Promise<Ok> {
  const outcome = await fetchModels(route, options);
  expect(outcome.status).toBe('ok');
  return outcome as Ok;
}

async function failed(route: Route, options?: Parameters<typeof fetchModels>[1]): Promise<Failed> {
  const outcome = await fetchModels(route, options);
  expect(outcome.status).toBe('failed');
  return outcome as Failed;
}

describe('sync plugins read their sources', () => {
  it('litellm: every price kind, limits and capabilities of per-token models; sample_spec and image models left out', async () => {
    const outcome = await ok('litellm');
    expect(outcome.models.map((m) => m.model).sort()).toEqual(['claude-sonnet-4-5', NEW_MODEL, 'gemini/gemini-9-pro'].sort());
    expect(outcome.models.find((m) => m.model === 'claude-sonnet-4-5')).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      prices: { input: 3.5e-6, output: 1.6e-5, cacheWrite: 4.2e-6, cacheRead: 3.5e-7 },
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      capabilities: ['vision'],
    });
    expect(outcome.rejected).toEqual([]);
  });

  it('openrouter: string prices parsed per token, cache prices, "-1" (varies) read as no price', async () => {
    const outcome = await ok('openrouter');
    expect(outcome.models.find((m) => m.model === 'anthropic/claude-sonnet-4.5')).toEqual({
      provider: 'openrouter',
      model: 'anthropic/claude-sonnet-4.5',
      displayName: 'Anthropic: Claude Sonnet 4.5',
      prices: { input: 3e-6, output: 1.5e-5, cacheRead: 3e-7, cacheWrite: 3.75e-6 },
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
    });
    expect(outcome.models.find((m) => m.model === 'openrouter/auto')?.prices).toEqual({});
  });

  it('anthropic: pages through after_id with x-api-key and anthropic-version; limits taken when the API returns them', async () => {
    const outcome = await ok('anthropic');
    expect(outcome.models).toEqual([
      { provider: 'anthropic', model: 'claude-sonnet-4-5', displayName: 'Claude Sonnet 4.5', contextWindow: 200_000, maxOutputTokens: 64_000 },
      { provider: 'anthropic', model: NEW_MODEL, displayName: 'Claude Zephyr 5' },
      { provider: 'anthropic', model: 'claude-haiku-4-5-20251001', displayName: 'Claude Haiku 4.5' },
    ]);
    const asked = server.requests.filter((r) => r.route === 'anthropic');
    expect(asked.map((r) => r.url)).toEqual(['/anthropic/v1/models?limit=1000', `/anthropic/v1/models?limit=1000&after_id=${NEW_MODEL}`]);
    expect(asked.every((r) => r.headers['x-api-key'] === ANTHROPIC_KEY && r.headers['anthropic-version'] === '2023-06-01')).toBe(true);
  });

  it('openai: the model ids, with a bearer key', async () => {
    const outcome = await ok('openai');
    expect(outcome.models).toEqual([
      { provider: 'openai', model: 'gpt-9' },
      { provider: 'openai', model: 'gpt-4o' },
    ]);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('google: pages through nextPageToken; the key goes in x-goog-api-key, never in the URL', async () => {
    const outcome = await ok('google');
    expect(outcome.models).toEqual([
      { provider: 'gemini', model: 'gemini-9-pro', displayName: 'Gemini 9 Pro', contextWindow: 2_000_000, maxOutputTokens: 65_536 },
      { provider: 'gemini', model: 'text-embedding-009', displayName: 'Text Embedding 009', contextWindow: 2_048, maxOutputTokens: 1 },
    ]);
    const asked = server.requests.filter((r) => r.route === 'google');
    expect(asked).toHaveLength(2);
    expect(asked.every((r) => r.headers['x-goog-api-key'] === GOOGLE_KEY && !r.url.includes(GOOGLE_KEY))).toBe(true);
  });

  it('a key from config wins over the environment', async () => {
    await ok('openai', { env: { OPENAI_API_KEY: 'wrong' }, config: { apiKey: OPENAI_KEY } });
  });

  it.each(['anthropic', 'openai', 'google'] as const)('%s without a key is skipped with where to put one, and asks nothing', async (route) => {
    const outcome = await fetchModels(route, { env: {} });
    expect(outcome).toEqual({ status: 'skipped', reason: expect.stringMatching(/^no API key: set [A-Z_]+_API_KEY.* or sync\.providers\.(anthropic|openai|google)\.apiKey$/) });
    expect(server.requests).toHaveLength(0);
  });
});

describe('sync plugins report each failure of their source clearly', () => {
  it.each(['litellm', 'openrouter', 'anthropic', 'openai', 'google'] as const)('%s: a hang is a timeout naming the source', async (route) => {
    server.misbehave(route, { kind: 'hang' });
    const outcome = await failed(route, { config: { timeoutMs: 300 } });
    expect(outcome).toMatchObject({ kind: 'timeout', message: expect.stringMatching(new RegExp(`^${route}: no complete response from http://127\\.0\\.0\\.1:\\d+/${route}/.* within 300 ms$`)) });
  });

  it.each(['litellm', 'openrouter', 'anthropic'] as const)('%s: a 429 is rate-limited with its Retry-After', async (route) => {
    server.misbehave(route, { kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: '{"error":{"message":"slow down"}}' });
    expect(await failed(route)).toEqual({ status: 'failed', kind: 'rate-limited', httpStatus: 429, retryAfterSeconds: 7, message: expect.stringContaining(`${route}: rate limited by`) });
  });

  it.each(['litellm', 'openrouter', 'openai', 'google'] as const)('%s: a 500 is an http failure with the status and what the server said', async (route) => {
    server.misbehave(route, { kind: 'status', status: 500, body: '{"error":{"message":"upstream exploded"}}' });
    expect(await failed(route)).toMatchObject({ kind: 'http', httpStatus: 500, message: expect.stringMatching(new RegExp(`^${route}: .* answered HTTP 500: upstream exploded$`)) });
  });

  it.each(['litellm', 'openrouter', 'anthropic', 'google'] as const)('%s: malformed JSON is malformed, naming the source', async (route) => {
    server.misbehave(route, { kind: 'malformed' });
    expect(await failed(route)).toMatchObject({ kind: 'malformed', message: expect.stringMatching(new RegExp(`^${route}: the response from .* is not valid JSON`)) });
  });

  it('openrouter: a price that is not a number rejects that model, by name and field; the rest are read', async () => {
    (server.data.openrouter[1]!.pricing as Record<string, unknown>).prompt = 'four dollars';
    const outcome = await ok('openrouter');
    expect(outcome.rejected).toEqual([{ model: 'mistralai/mistral-zeta-2', reason: 'pricing.prompt: "four dollars" is not a price' }]);
    expect(outcome.models.map((m) => m.model)).toEqual(['anthropic/claude-sonnet-4.5', 'openrouter/auto']);
  });

  it('litellm: a price given as a string is rejected for that model', async () => {
    (server.data.litellm['gemini/gemini-9-pro'] as Record<string, unknown>).input_cost_per_token = '1e-6 USD';
    const outcome = await ok('litellm');
    expect(outcome.rejected).toEqual([{ model: 'gemini/gemini-9-pro', reason: 'input_cost_per_token: "1e-6 USD" is not a price' }]);
  });

  it('a 50 MB body fails as too large without being read', async () => {
    server.misbehave('litellm', { kind: 'huge', bytes: 50 * MiB });
    expect(await failed('litellm', { config: { maxBytes: 4 * MiB } })).toMatchObject({ kind: 'too-large', message: expect.stringContaining(`larger than ${4 * MiB} bytes`) });
    expect(await server.hugeBytesWritten()).toBeLessThan(25 * MiB);
  });

  it('a refused key says so, and the key is not in the message even when the server echoes it', async () => {
    const outcome = await failed('anthropic', { env: { ANTHROPIC_API_KEY: 'sk-ant-wrong-key-987654321' } });
    expect(outcome).toMatchObject({ kind: 'http', httpStatus: 401, message: expect.stringContaining('the API key was refused') });
    expect(outcome.message).not.toContain('sk-ant-wrong-key-987654321');
    expect(outcome.message).toContain('[REDACTED]');
  });

  it('a plugin pointed at a host its permissions do not list is refused by the sandbox (E2004), nothing is requested', async () => {
    const run = await runsOf.openai.start({
      // As the kernel runs it without a base URL override: its manifest grants api.openai.com only.
      config: { baseUrl: server.baseUrl('anthropic'), timeoutMs: 2_000 },
      env: { OPENAI_API_KEY: OPENAI_KEY },
    });
    await expect(run.plugin.invoke('fetchModels')).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED, message: expect.stringContaining('127.0.0.1') });
    expect(server.requests).toHaveLength(0);
  });
});
