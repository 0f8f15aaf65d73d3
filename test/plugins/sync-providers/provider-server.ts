/**
 * A real HTTP server on 127.0.0.1 that answers like the five pricing sources do — LiteLLM's
 * price file, OpenRouter's `/api/v1/models`, Anthropic's and OpenAI's `/v1/models`, Google's
 * `/v1beta/models` — with the responses generated here, and, per route, the ways a source goes
 * wrong: a hang, a 429 with Retry-After, a 500, malformed JSON, a 50 MB body.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Misbehaviour =
  | { kind: 'hang' }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'malformed' }
  | { kind: 'huge'; bytes: number };

export type Route = 'litellm' | 'openrouter' | 'anthropic' | 'openai' | 'google';

export interface RecordedRequest {
  route: Route | 'unknown';
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** What each source serves, in its real shape (edit before a test to change it). */
export interface ProviderData {
  litellm: Record<string, unknown>;
  openrouter: Array<Record<string, unknown>>;
  anthropic: Array<Record<string, unknown>>;
  openai: Array<Record<string, unknown>>;
  google: Array<Record<string, unknown>>;
}

export const ANTHROPIC_KEY = 'sk-ant-test-key-0123456789abcdef';
export const OPENAI_KEY = 'sk-openai-test-key-0123456789';
export const GOOGLE_KEY = 'AIza-google-test-key-0123456789';

/** A model no snapshot knows, priced only by the synced sources. */
export const NEW_MODEL = 'claude-zephyr-5';

export function defaultProviderData(): ProviderData {
  return {
    litellm: {
      sample_spec: { litellm_provider: 'one of https://docs.litellm.ai/docs/providers', input_cost_per_token: 0, output_cost_per_token: 0 },
      'claude-sonnet-4-5': {
        litellm_provider: 'anthropic',
        mode: 'chat',
        input_cost_per_token: 3.5e-6,
        output_cost_per_token: 1.6e-5,
        cache_creation_input_token_cost: 4.2e-6,
        cache_read_input_token_cost: 3.5e-7,
        max_input_tokens: 200_000,
        max_output_tokens: 64_000,
        supports_vision: true,
      },
      [NEW_MODEL]: {
        litellm_provider: 'anthropic',
        mode: 'chat',
        input_cost_per_token: 2e-6,
        output_cost_per_token: 1e-5,
        cache_creation_input_token_cost: 2.5e-6,
        cache_read_input_token_cost: 2e-7,
        max_input_tokens: 300_000,
        max_output_tokens: 32_000,
      },
      'gemini/gemini-9-pro': { litellm_provider: 'gemini', mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 4e-6, max_input_tokens: 1_000_000 },
      'dall-e-9': { litellm_provider: 'openai', mode: 'image_generation', output_cost_per_image: 0.04 },
    },
    openrouter: [
      {
        id: 'anthropic/claude-sonnet-4.5',
        name: 'Anthropic: Claude Sonnet 4.5',
        context_length: 1_000_000,
        pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375', request: '0', image: '0' },
        top_provider: { context_length: 1_000_000, max_completion_tokens: 64_000, is_moderated: false },
      },
      {
        id: 'mistralai/mistral-zeta-2',
        name: 'Mistral: Zeta 2',
        context_length: 131_072,
        pricing: { prompt: '0.0000004', completion: '0.000002' },
        top_provider: { context_length: 131_072, max_completion_tokens: null, is_moderated: false },
      },
      { id: 'openrouter/auto', name: 'Auto Router', context_length: 2_000_000, pricing: { prompt: '-1', completion: '-1' }, top_provider: {} },
    ],
    anthropic: [
      { type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z', max_input_tokens: 200_000, max_tokens: 64_000 },
      { type: 'model', id: NEW_MODEL, display_name: 'Claude Zephyr 5', created_at: '2026-10-01T00:00:00Z' },
      { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
    ],
    openai: [
      { id: 'gpt-9', object: 'model', created: 1_790_000_000, owned_by: 'openai' },
      { id: 'gpt-4o', object: 'model', created: 1_715_367_049, owned_by: 'system' },
    ],
    google: [
      {
        name: 'models/gemini-9-pro',
        version: '9.0',
        displayName: 'Gemini 9 Pro',
        inputTokenLimit: 2_000_000,
        outputTokenLimit: 65_536,
        supportedGenerationMethods: ['generateContent', 'countTokens'],
      },
      { name: 'models/text-embedding-009', displayName: 'Text Embedding 009', inputTokenLimit: 2_048, outputTokenLimit: 1, supportedGenerationMethods: ['embedContent'] },
    ],
  };
}

export interface ProviderServer {
  port: number;
  /** `http://127.0.0.1:<port>/<route>`: the base URL a provider's config points at. */
  baseUrl(route: Route): string;
  data: ProviderData;
  /** Misbehaviours per route, each used for the next N requests (`times`, default every request). */
  misbehave(route: Route, misbehaviour: Misbehaviour, times?: number): void;
  requests: RecordedRequest[];
  /** Bytes written of huge bodies before the client went away. */
  hugeBytesWritten(): Promise<number>;
  close(): Promise<void>;
}

function routeOf(url: URL): { route: Route; path: string } | null {
  const [, first, ...rest] = url.pathname.split('/');
  if (first === 'litellm' || first === 'openrouter' || first === 'anthropic' || first === 'openai' || first === 'google') return { route: first, path: `/${rest.join('/')}` };
  return null;
}

/** Anthropic's page: `limit` and `after_id`, with has_more/first_id/last_id. */
function anthropicPage(models: Array<Record<string, unknown>>, url: URL): unknown {
  const limit = Number(url.searchParams.get('limit') ?? '20');
  const after = url.searchParams.get('after_id');
  const start = after === null ? 0 : models.findIndex((model) => model.id === after) + 1;
  const page = models.slice(start, start + limit);
  return { data: page, has_more: start + limit < models.length, first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null };
}

function googlePage(models: Array<Record<string, unknown>>, url: URL): unknown {
  const size = Number(url.searchParams.get('pageSize') ?? '50');
  const start = Number(url.searchParams.get('pageToken') ?? '0');
  const page = models.slice(start, start + size);
  return { models: page, ...(start + size < models.length ? { nextPageToken: String(start + size) } : {}) };
}

export async function startProviderServer(options: { anthropicPageSize?: number; googlePageSize?: number } = {}): Promise<ProviderServer> {
  const data = defaultProviderData();
  const faults = new Map<Route, { misbehaviour: Misbehaviour; left: number }>();
  const requests: RecordedRequest[] = [];
  const hugeWrites: Array<Promise<number>> = [];
  const pending = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const matched = routeOf(url);
    requests.push({ route: matched?.route ?? 'unknown', url: req.url ?? '', headers: req.headers });
    if (matched === null) return void res.writeHead(404).end('{"error":"no such route"}');
    const { route, path } = matched;
    const fault = faults.get(route);
    if (fault !== undefined && fault.left > 0) {
      fault.left -= 1;
      const m = fault.misbehaviour;
      if (m.kind === 'hang') {
        pending.add(res);
        return;
      }
      if (m.kind === 'status') return void res.writeHead(m.status, { 'content-type': 'application/json', ...m.headers }).end(m.body ?? '{"error":{"message":"internal"}}');
      if (m.kind === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [ {"id": "oops", ');
      if (m.kind === 'huge') {
        hugeWrites.push(
          new Promise<number>((resolve) => {
            let sent = 0;
            const chunk = Buffer.alloc(64 * 1024, ' ');
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"data":[');
            res.on('close', () => resolve(sent));
            const pump = (): void => {
              while (sent < m.bytes) {
                sent += chunk.byteLength;
                if (!res.write(chunk)) return void res.once('drain', pump);
              }
              res.end(']}');
            };
            pump();
          }),
        );
        return;
      }
    }
    // The keys, where each source expects them.
    if (route === 'anthropic' && (req.headers['x-api-key'] !== ANTHROPIC_KEY || req.headers['anthropic-version'] === undefined)) {
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${String(req.headers['x-api-key'])}` } }));
    }
    if (route === 'openai' && req.headers.authorization !== `Bearer ${OPENAI_KEY}`) {
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
    }
    if (route === 'google' && req.headers['x-goog-api-key'] !== GOOGLE_KEY) {
      return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } }));
    }
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (route === 'litellm' && path === '/model_prices_and_context_window.json') return json(200, data.litellm);
    if (route === 'openrouter' && path === '/models') return json(200, { data: data.openrouter });
    if (route === 'anthropic' && path === '/v1/models') {
      const limit = options.anthropicPageSize;
      if (limit !== undefined) url.searchParams.set('limit', String(Math.min(limit, Number(url.searchParams.get('limit') ?? limit))));
      return json(200, anthropicPage(data.anthropic, url));
    }
    if (route === 'openai' && path === '/v1/models') return json(200, { object: 'list', data: data.openai });
    if (route === 'google' && path === '/v1beta/models') {
      if (options.googlePageSize !== undefined) url.searchParams.set('pageSize', String(options.googlePageSize));
      return json(200, googlePage(data.google, url));
    }
    json(404, { error: { message: `no ${path}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: (route) => `http://127.0.0.1:${port}/${route}`,
    data,
    misbehave: (route, misbehaviour, times = Number.POSITIVE_INFINITY) => faults.set(route, { misbehaviour, left: times }),
    requests,
    hugeBytesWritten: async () => (await Promise.all(hugeWrites)).reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of pending) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
