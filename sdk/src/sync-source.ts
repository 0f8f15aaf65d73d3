/**
 * Reading a pricing source over `ctx.http`, for sync plugins: one JSON document per call,
 * every way it can go wrong turned into a {@link SyncSourceError} that names the source and
 * what happened (and never a key), so the host can retry what is worth retrying. Runs inside
 * the isolate: no Node APIs.
 */
import type { PluginContext } from './capabilities';
import { CapabilityError } from './capability-clients';
import { SyncSkipped, SyncSourceError, type ModelInfo, type ModelPrices, type RejectedModel, type SyncModels } from './kinds/sync';

/** What the host hands every sync plugin in `ctx.config` (from `sync.providers.<name>` and `sync.*`). */
export interface SyncSettings {
  /** The source's base URL (config `sync.providers.<name>.baseUrl`, else the plugin's default). */
  baseUrl: string;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** Largest response body read, bytes; a larger one fails the sync (never half a price list). */
  maxBytes: number;
  /** The API key from config, when the user set one there. */
  apiKey?: string;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The host's settings for this sync plugin, with the plugin's defaults where the host gave none. */
export function syncSettings(ctx: PluginContext, defaults: { baseUrl: string; timeoutMs?: number; maxBytes?: number }): SyncSettings {
  const config = ctx.config;
  const baseUrl = typeof config.baseUrl === 'string' && config.baseUrl.trim() !== '' ? config.baseUrl.trim() : defaults.baseUrl;
  const apiKey = typeof config.apiKey === 'string' && config.apiKey !== '' ? config.apiKey : undefined;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    timeoutMs: positive(config.timeoutMs) ?? defaults.timeoutMs ?? 30_000,
    maxBytes: positive(config.maxBytes) ?? defaults.maxBytes ?? 16 * 1024 * 1024,
    ...(apiKey === undefined ? {} : { apiKey }),
  };
}

/**
 * The API key: `sync.providers.<provider>.apiKey` from the config, else the first of `envNames`
 * that is set (each must be listed in the manifest's `permissions.env`). Throws
 * {@link SyncSkipped} naming both places when there is none.
 */
export async function requireApiKey(ctx: PluginContext, settings: SyncSettings, provider: string, envNames: readonly string[]): Promise<string> {
  if (settings.apiKey !== undefined) return settings.apiKey;
  for (const name of envNames) {
    const value = await ctx.env.get(name);
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  throw new SyncSkipped(`no API key: set ${envNames.join(' or ')} or sync.providers.${provider}.apiKey`);
}

/** A request of one JSON document from a source. */
export interface SourceRequest {
  /** The source's name, for messages (`openrouter`). */
  source: string;
  url: string;
  headers?: Record<string, string>;
  settings: SyncSettings;
  /** Values to blank out of any message (API keys), in case a server echoes them. */
  secrets?: readonly string[];
}

const MESSAGE_CHARS = 200;

/** `https://host/path` without the query (where a key could be), for messages. */
function where(url: string): string {
  const match = /^([a-z]+:\/\/[^/?#]+)([^?#]*)/i.exec(url);
  return match === null ? 'the source' : `${match[1]}${match[2]}`;
}

function scrub(text: string, secrets: readonly string[] | undefined): string {
  let out = text;
  for (const secret of secrets ?? []) if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  return out;
}

/** `Retry-After` as seconds: a number of seconds, or an HTTP date (relative to now). */
export function retryAfterSeconds(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : undefined;
}

/** The `error.message` (or `message`) of a JSON error body, shortened; `undefined` when there is none. */
function serverMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const text = typeof parsed.error === 'string' ? parsed.error : typeof parsed.error?.message === 'string' ? parsed.error.message : parsed.message;
    return typeof text === 'string' && text.trim() !== '' ? text.trim().slice(0, MESSAGE_CHARS) : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * GETs `request.url` and parses its JSON body. Throws {@link SyncSourceError}: `timeout` (no
 * complete answer within `timeoutMs`), `network` (refused, reset, DNS), `rate-limited` (429,
 * with `Retry-After`), `http` (any other non-2xx; 401/403 say the key was refused),
 * `too-large` (a body over `maxBytes`, never read whole) or `malformed` (not JSON). A refused
 * permission (E2004) is not caught: the sandbox's verdict reaches the host as it is.
 */
export async function fetchSourceJson(ctx: PluginContext, request: SourceRequest): Promise<unknown> {
  const { source, settings } = request;
  const at = where(request.url);
  let response;
  try {
    response = await ctx.http.fetch(request.url, {
      headers: { accept: 'application/json', ...request.headers },
      timeoutMs: settings.timeoutMs,
      maxBytes: settings.maxBytes,
      truncate: false,
    });
  } catch (error) {
    if (!(error instanceof CapabilityError) && (error as { name?: unknown })?.name !== 'CapabilityError') throw error;
    const { code, message } = error as CapabilityError;
    if (code === 'E2005') throw new SyncSourceError('too-large', `${source}: the response from ${at} is larger than ${settings.maxBytes} bytes; nothing was read (raise sync.maxResponseBytes if it is genuine)`);
    if (code === 'E2009' && /no complete response/.test(message)) throw new SyncSourceError('timeout', `${source}: no complete response from ${at} within ${settings.timeoutMs} ms`);
    if (code === 'E2009') throw new SyncSourceError('network', `${source}: could not reach ${at}: ${scrub(message, request.secrets).slice(0, MESSAGE_CHARS)}`);
    throw error;
  }
  const { status } = response;
  if (status === 429) {
    const seconds = retryAfterSeconds(header(response.headers, 'retry-after'));
    throw new SyncSourceError('rate-limited', `${source}: rate limited by ${at} (HTTP 429${seconds === undefined ? '' : `, retry after ${seconds} s`})`, {
      httpStatus: status,
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
    });
  }
  if (status < 200 || status > 299) {
    const said = serverMessage(response.body);
    const refused = status === 401 || status === 403 ? ' — the API key was refused' : '';
    const seconds = status === 503 ? retryAfterSeconds(header(response.headers, 'retry-after')) : undefined;
    throw new SyncSourceError('http', scrub(`${source}: ${at} answered HTTP ${status}${refused}${said === undefined ? '' : `: ${said}`}`, request.secrets), {
      httpStatus: status,
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
    });
  }
  try {
    return JSON.parse(response.body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncSourceError('malformed', `${source}: the response from ${at} is not valid JSON (${reason.slice(0, MESSAGE_CHARS)})`, { httpStatus: status });
  }
}

/** Throws a `malformed` {@link SyncSourceError}: the JSON is not in the shape the source documents. */
export function unexpectedShape(source: string, what: string): never {
  throw new SyncSourceError('malformed', `${source}: unexpected response shape: ${what}`);
}

/** A token count a source reports (context window, output limit): a positive safe integer, else `undefined`. */
export function positiveCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** What a source said of a model besides its id; each field only where it said something. */
export interface ModelDetails {
  displayName?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  prices?: ModelPrices;
  capabilities?: string[];
}

/** A model entry: `provider`, `model` and the details a source gave (a display name cut to 200 characters, no empty capability list). */
export function modelInfo(provider: string, model: string, details: ModelDetails = {}): ModelInfo {
  const info: ModelInfo = { provider, model };
  if (details.prices !== undefined) info.prices = details.prices;
  if (details.displayName !== undefined) info.displayName = details.displayName.slice(0, 200);
  if (details.contextWindow !== undefined) info.contextWindow = details.contextWindow;
  if (details.maxOutputTokens !== undefined) info.maxOutputTokens = details.maxOutputTokens;
  if (details.capabilities !== undefined && details.capabilities.length > 0) info.capabilities = details.capabilities;
  return info;
}

/**
 * Reads a source's entries with `read` (a model, a rejection with why, or `null` for an entry
 * that is not a model to price), into the models and rejections `fetchModels` returns.
 */
export function readModels(entries: readonly unknown[], read: (raw: unknown) => ModelInfo | RejectedModel | null, into: SyncModels = { models: [], rejected: [] }): SyncModels & { rejected: RejectedModel[] } {
  const rejected = into.rejected ?? [];
  for (const raw of entries) {
    const entry = read(raw);
    if (entry === null) continue;
    if ('reason' in entry) rejected.push(entry);
    else into.models.push(entry);
  }
  return { models: into.models, rejected };
}

/**
 * Follows a paged list: `fetchPage(cursor)` returns a page's entries and the next cursor
 * (none on the last page). Stops at `maxPages`, or when a cursor comes back twice, so a server
 * that always says "more" cannot keep the plugin busy; `truncated` says when it stopped early.
 */
export async function fetchAllPages(
  fetchPage: (cursor: string | undefined) => Promise<{ entries: unknown[]; next?: string }>,
  maxPages = 50,
): Promise<{ entries: unknown[]; truncated: boolean }> {
  const entries: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const { entries: more, next } = await fetchPage(cursor);
    entries.push(...more);
    if (next === undefined || next === cursor) return { entries, truncated: false };
    cursor = next;
  }
  return { entries, truncated: true };
}
