/** Sync providers: fetch model names, context windows and prices from a pricing source. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf } from './kind-helpers';

/** Per-token USD prices; absent means unknown (never zero by default). */
export interface ModelPrices {
  input?: number;
  output?: number;
  /** 5-minute cache write. */
  cacheWrite?: number;
  /** 1-hour cache write. */
  cacheWrite1h?: number;
  cacheRead?: number;
  inputAbove200k?: number;
  outputAbove200k?: number;
  cacheWriteAbove200k?: number;
  cacheReadAbove200k?: number;
}

export interface ModelInfo {
  /**
   * The provider as price lists name it (`anthropic`, `openai`, `gemini`, `openrouter`, …): with
   * `model`, what the host matches across sources (names compared like the cost engine does).
   */
  provider: string;
  /** The model's id as the source spells it (`claude-sonnet-4-5-20250929`, `anthropic/claude-sonnet-4.5`). */
  model: string;
  displayName?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  prices?: ModelPrices;
  capabilities?: string[];
}

/** An entry of the source that could not be read, and why (a price that is not a number, …). */
export interface RejectedModel {
  model: string;
  reason: string;
}

/** What `fetchModels` may return instead of a bare list: the models and the entries it had to leave out. */
export interface SyncModels {
  models: ModelInfo[];
  rejected?: RejectedModel[];
}

/** Why a source could not be read; the host retries `timeout`, `network`, `rate-limited` and 5xx `http`. */
export type SyncFailureKind = 'timeout' | 'network' | 'rate-limited' | 'http' | 'malformed' | 'too-large';

/**
 * Throw from `fetchModels` when the source answered wrongly or not at all. The message should
 * name the source and say what happened; it must never contain an API key.
 */
export class SyncSourceError extends Error {
  readonly kind: SyncFailureKind;
  /** The HTTP status, when there was a response. */
  readonly httpStatus?: number;
  /** The server's `Retry-After`, in seconds (a 429 or 503). */
  readonly retryAfterSeconds?: number;

  constructor(kind: SyncFailureKind, message: string, options: { httpStatus?: number; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'SyncSourceError';
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Throw from `fetchModels` when the source cannot be asked at all (no API key): a status, not an error. */
export class SyncSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SyncSkipped';
  }
}

/** What the host receives from a sync plugin's `fetchModels` (the SDK builds it; plugins return models or throw). */
export type SyncOutcome =
  | { status: 'ok'; models: ModelInfo[]; rejected: RejectedModel[] }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; kind: SyncFailureKind; message: string; httpStatus?: number; retryAfterSeconds?: number };

export interface SyncDefinition extends PluginLifecycle {
  /** Whether this is the model vendor's own source (wins for names and context windows). */
  official: boolean;
  /** Lower wins among sources of the same standing. */
  priority: number;
  /**
   * Reads the source. Return the models (and, optionally, the entries left out with why);
   * throw {@link SyncSkipped} when it cannot be asked (no key) and {@link SyncSourceError}
   * when it answered wrongly. Anything else thrown is a plugin bug.
   */
  fetchModels(ctx: PluginContext): Promise<ModelInfo[] | SyncModels>;
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/** Turns what `fetchModels` returned or threw into the {@link SyncOutcome} the host reads. */
async function outcomeOf(definition: SyncDefinition, ctx: PluginContext): Promise<SyncOutcome> {
  try {
    const result = await definition.fetchModels(ctx);
    return Array.isArray(result)
      ? { status: 'ok', models: result, rejected: [] }
      : { status: 'ok', models: result.models, rejected: result.rejected ?? [] };
  } catch (error) {
    if (error instanceof SyncSkipped || isNamed(error, 'SyncSkipped')) return { status: 'skipped', reason: (error as Error).message };
    if (error instanceof SyncSourceError || isNamed(error, 'SyncSourceError')) {
      const failure = error as SyncSourceError;
      return {
        status: 'failed',
        kind: failure.kind,
        message: failure.message,
        ...(failure.httpStatus === undefined ? {} : { httpStatus: failure.httpStatus }),
        ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
      };
    }
    throw error;
  }
}

/** Declares a pricing sync plugin (manifest `rimuru.kind: "sync"`). */
export function defineSync(definition: SyncDefinition): DefinedPlugin {
  return definePlugin({
    kind: 'sync',
    ...lifecycleOf(definition),
    methods: {
      fetchModels: (ctx: PluginContext) => outcomeOf(definition, ctx),
      info: () => ({ official: definition.official, priority: definition.priority }),
    },
  });
}
