import type { Logger } from 'pino';
import type { ModelInfo, RejectedModel } from '../../../sdk/src/kinds/sync';
import type { ResolvedConfig } from '../../config';
import { ErrorCodes, errorMessage, isRimuruError, PricingError, type ErrorCode } from '../../core/errors';
import type { HookBus } from '../../core/hooks';
import type { PluginRecord, PluginState } from '../../core/registry';
import { PricingService, SNAPSHOT_SOURCE } from '../pricing';
import type { Database } from '../storage/database';
import { ModelRepository } from '../storage/repositories';
import { numberOf } from '../storage/repositories/row-values';
import { storageCall } from '../storage/repositories/storage-call';
import { ModelAggregator, type SourceModels, type SourceStanding } from './model-aggregator';
import { repriceUnpricedRecords, type RepriceResult } from './reprice-records';
import { checkOutcome, type CheckedOutcome } from './sync-outcome-schema';
import { SyncRunRepository, type SyncRunInput, type SyncStatus, type SyncTrigger } from './sync-run-repository';
import { syncContribution, type SyncContribution } from './sync-run-settings';

/** What the service needs of a plugin's sandbox. */
export interface SyncSandbox {
  invoke<T = unknown>(method: string, args?: unknown[]): Promise<T>;
}

/** The kernel as the sync service sees it (a `Kernel` fits). */
export interface SyncHost {
  registry: { list(): PluginRecord[] };
  hookBus?: Pick<HookBus, 'emitSeries'>;
  /** The live sandbox of a running plugin. */
  plugin(name: string): { live: SyncSandbox | undefined } | undefined;
}

export interface SyncServiceOptions {
  database: Database;
  host: SyncHost;
  config: ResolvedConfig['sync'];
  logger?: Logger;
  /** The environment the plugins read their keys from, to keep those values out of messages. */
  env?: Record<string, string | undefined>;
  /** The cost engine to refresh after a sync; default the store's shared `PricingService`. */
  pricing?: PricingService;
  now?: () => number;
  /** Waits between retries; tests pass one that does not. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A sync provider: a sync plugin and what its manifest and the config say about it. */
export interface SyncProvider extends SyncContribution {
  plugin: string;
  version: string;
  state: PluginState;
  stateReason: string | null;
  /** `sync.providers.<provider>.enabled` (default true). */
  enabled: boolean;
  /** The base URL it is pointed at, when the config overrides it. */
  baseUrl: string | null;
  /** Environment variables the plugin may read a key from (its manifest's `permissions.env`). */
  keyVariables: string[];
}

/** One provider's part of a run. */
export interface ProviderRunResult {
  provider: string;
  plugin: string;
  status: SyncStatus;
  attempts: number;
  modelsFetched: number;
  /** Entries the source had that were left out (the count; `rejected` lists the first ones). */
  modelsRejected: number;
  rejected: RejectedModel[];
  error: { code: ErrorCode | string; message: string } | null;
  /** Why it was skipped, for `skipped`, `disabled` and a respected `Retry-After`. */
  reason: string | null;
  retryAfterAt: number | null;
  durationMs: number;
}

export interface SyncRunReport {
  trigger: SyncTrigger;
  startedAt: number;
  finishedAt: number;
  providers: ProviderRunResult[];
  /** Rows of the `models` table written (inserted or changed). */
  modelsWritten: number;
  /** Records priced at $0 for want of a price that have a cost now. */
  repriced: RepriceResult;
}

export interface SyncRunOptions {
  /** Only these providers (by provider name or plugin name); default every sync provider. */
  providers?: readonly string[];
  trigger?: SyncTrigger;
  /** Ask even a provider whose `Retry-After` has not passed. */
  force?: boolean;
  /** Stops waiting between retries and skips the writes once aborted. */
  signal?: AbortSignal;
}

/** Provider failures worth another try: the source may answer next time. */
const RETRYABLE_KINDS = new Set(['timeout', 'network', 'rate-limited']);

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

type Attempt =
  | { kind: 'ok'; models: ModelInfo[]; rejected: RejectedModel[]; rejectedCount: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; code: ErrorCode | string; message: string; retryable: boolean; retryAfterMs?: number; rateLimited: boolean };

/**
 * Runs the sync providers: asks each sync plugin for its models (retrying timeouts, network
 * errors, 429s and 5xx with backoff), checks what came back, merges every provider that
 * answered into the `models` table in one transaction (`ModelAggregator`), refreshes the cost
 * engine, re-prices the records that had been priced at $0 for want of a price, records each
 * provider's outcome in `sync_runs`, and emits `SyncComplete` per provider that synced.
 *
 * A provider that fails changes nothing: its last good rows stay, and the embedded snapshot
 * is always beneath them. Messages never carry an API key: the configured keys and the values
 * of the key variables are blanked out of anything stored, logged or shown.
 */
export class SyncService {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly runs: SyncRunRepository;

  constructor(private readonly options: SyncServiceOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.runs = new SyncRunRepository(options.database);
  }

  /** The sync history and status store. */
  get history(): SyncRunRepository {
    return this.runs;
  }

  /** Every sync plugin the registry knows, with its standing and configuration. */
  providers(): SyncProvider[] {
    return listSyncProviders(this.options.host.registry.list(), this.options.config);
  }

  /**
   * One sync run. Problems with a provider are in its result, never thrown.
   * @throws PricingError E8002 for a provider name that no sync plugin contributes;
   *         StorageError when the store cannot be read or written.
   */
  async run(options: SyncRunOptions = {}): Promise<SyncRunReport> {
    const trigger = options.trigger ?? 'manual';
    const startedAt = this.now();
    const selected = this.select(options.providers);
    const latest = await this.runs.latest();
    const results = await Promise.all(selected.map((provider) => this.fetchProvider(provider, latest.get(provider.provider)?.last.retryAfterAt ?? null, options)));

    let modelsWritten = 0;
    let repriced: RepriceResult = { records: 0, costUsd: 0, models: [] };
    if (options.signal?.aborted === true) {
      // Shutting down: the store may be closing; this run leaves no trace.
      return { trigger, startedAt, finishedAt: this.now(), providers: results.map((entry) => entry.result), modelsWritten, repriced };
    }
    const fetched = results.filter((entry) => entry.models !== null);
    if (fetched.length > 0) {
      try {
        modelsWritten = await this.store(fetched.map((entry) => ({ standing: standingOf(entry.provider), models: entry.models as ModelInfo[] })));
      } catch (error) {
        // Nothing of this run was merged: every fetched provider failed on the store's account.
        const code = isRimuruError(error) ? error.code : ErrorCodes.SYNC_FAILED;
        for (const entry of fetched) {
          entry.result.status = 'failed';
          entry.result.error = { code, message: `storing the models failed: ${this.scrub(errorMessage(error))}` };
          entry.models = null;
        }
        modelsWritten = 0;
      }
    }
    if (fetched.some((entry) => entry.models !== null)) repriced = await this.reprice();

    const finishedAt = this.now();
    const report: SyncRunReport = { trigger, startedAt, finishedAt, providers: results.map((entry) => entry.result), modelsWritten, repriced };
    await this.runs.record(results.map((entry) => this.historyRow(entry.result, trigger, startedAt, finishedAt, entry.models === null ? 0 : modelsWritten, entry.models === null ? 0 : repriced.records)));
    for (const result of report.providers) this.log(result);
    for (const entry of results) {
      if (entry.models === null || this.options.host.hookBus === undefined) continue;
      await this.options.host.hookBus
        .emitSeries('SyncComplete', { provider: entry.provider.provider, models: entry.models.length })
        .catch((error: unknown) => this.options.logger?.warn({ err: errorMessage(error) }, 'SyncComplete hook failed'));
    }
    return report;
  }

  /**
   * When synced models last changed in the store (epoch ms; 0 for none): a kernel that sees
   * it move without having synced (a `sync run` from another process, another machine on
   * PostgreSQL) calls {@link refreshPrices}.
   */
  async modelsUpdatedAt(): Promise<number> {
    const row = (await storageCall('reading when models were last synced', () =>
      this.options.database.knex('models').whereNot({ source: SNAPSHOT_SOURCE }).max('updated_at as at').first(),
    )) as { at?: unknown } | undefined;
    return numberOf(row?.at);
  }

  /** Re-reads the synced models into the cost engine and prices the records that had no price. */
  refreshPrices(): Promise<RepriceResult> {
    return this.reprice();
  }

  /**
   * Rebuilds the cost engine's catalog from the store and prices the records that had no
   * price. A failure here leaves the merged models in place (the next sync tries again).
   */
  private async reprice(): Promise<RepriceResult> {
    try {
      const pricing = this.options.pricing ?? (await PricingService.forDatabase(this.options.database, { logger: this.options.logger }));
      await pricing.refresh();
      const repriced = await repriceUnpricedRecords(this.options.database, pricing);
      if (repriced.records > 0) this.options.logger?.info({ records: repriced.records, models: repriced.models }, `sync: priced ${repriced.records} records of models that had no price`);
      return repriced;
    } catch (error) {
      this.options.logger?.warn({ err: errorMessage(error) }, 'sync: re-pricing the records of newly priced models failed; the next sync tries again');
      return { records: 0, costUsd: 0, models: [] };
    }
  }

  private select(names: readonly string[] | undefined): SyncProvider[] {
    const all = this.providers();
    if (names === undefined || names.length === 0) return all;
    return names.map((name) => {
      const found = all.find((provider) => provider.provider === name || provider.plugin === name);
      if (found === undefined) {
        throw new PricingError(
          ErrorCodes.SYNC_PROVIDER_NOT_FOUND,
          `no sync provider named "${name}"; known: ${all.map((provider) => provider.provider).join(', ') || 'none (no sync plugin is installed)'}`,
        );
      }
      return found;
    });
  }

  /** Merges the fetched providers over the stored models and writes the changed rows in one transaction. */
  private async store(fresh: SourceModels[]): Promise<number> {
    const repository = new ModelRepository(this.options.database, { logger: this.options.logger });
    const stored = await repository.findAll();
    const aggregator = new ModelAggregator(this.providers().map(standingOf));
    const merged = aggregator.merge(stored, fresh, this.now());
    return repository.upsertMany(merged.rows);
  }

  private async fetchProvider(
    provider: SyncProvider,
    retryAfterAt: number | null,
    options: SyncRunOptions,
  ): Promise<{ provider: SyncProvider; result: ProviderRunResult; models: ModelInfo[] | null }> {
    const started = this.now();
    const result: ProviderRunResult = {
      provider: provider.provider,
      plugin: provider.plugin,
      status: 'failed',
      attempts: 0,
      modelsFetched: 0,
      modelsRejected: 0,
      rejected: [],
      error: null,
      reason: null,
      retryAfterAt: null,
      durationMs: 0,
    };
    const finish = (models: ModelInfo[] | null) => {
      result.durationMs = this.now() - started;
      return { provider, result, models };
    };
    if (!provider.enabled) {
      result.status = 'disabled';
      result.reason = `turned off (sync.providers.${provider.provider}.enabled: false)`;
      return finish(null);
    }
    if (retryAfterAt !== null && retryAfterAt > started && options.force !== true) {
      result.status = 'rate-limited';
      result.retryAfterAt = retryAfterAt;
      result.reason = `${provider.provider} asked not to be called before ${new Date(retryAfterAt).toISOString()} (--force asks anyway)`;
      return finish(null);
    }
    const sandbox = this.options.host.plugin(provider.plugin)?.live;
    if (sandbox === undefined) {
      result.status = 'skipped';
      result.reason = `its plugin ${provider.plugin} is ${provider.state}${provider.stateReason ? `: ${provider.stateReason}` : ''}`;
      return finish(null);
    }

    const { attempts: maxAttempts, backoffMs, maxBackoffMs } = this.options.config.retry;
    for (let attempt = 1; ; attempt += 1) {
      result.attempts = attempt;
      const outcome = await this.attempt(provider, sandbox);
      if (outcome.kind === 'ok') {
        result.status = outcome.rejectedCount > 0 ? 'partial' : 'ok';
        result.modelsFetched = outcome.models.length;
        result.modelsRejected = outcome.rejectedCount;
        result.rejected = outcome.rejected.map((entry) => ({ model: entry.model, reason: this.scrub(entry.reason) }));
        return finish(outcome.models);
      }
      if (outcome.kind === 'skipped') {
        result.status = 'skipped';
        result.reason = this.scrub(outcome.reason);
        return finish(null);
      }
      result.error = { code: outcome.code, message: outcome.message };
      const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      const wait = outcome.retryAfterMs ?? backoff;
      const waitTooLong = outcome.retryAfterMs !== undefined && outcome.retryAfterMs > maxBackoffMs;
      if (!outcome.retryable || attempt >= maxAttempts || waitTooLong || options.signal?.aborted === true) {
        result.status = outcome.rateLimited ? 'rate-limited' : 'failed';
        if (outcome.rateLimited) result.retryAfterAt = this.now() + (outcome.retryAfterMs ?? backoff);
        return finish(null);
      }
      this.options.logger?.debug({ provider: provider.provider, attempt, waitMs: wait, err: outcome.message }, 'sync: retrying');
      await this.sleep(wait, options.signal);
      if (isAborted(options.signal)) return finish(null);
    }
  }

  private async attempt(provider: SyncProvider, sandbox: SyncSandbox): Promise<Attempt> {
    let value: unknown;
    try {
      value = await sandbox.invoke('fetchModels', []);
    } catch (error) {
      const code = isRimuruError(error) ? error.code : ErrorCodes.SYNC_FAILED;
      return { kind: 'failed', code, message: this.scrub(`${provider.provider}: ${errorMessage(error)}`), retryable: false, rateLimited: false };
    }
    const checked: CheckedOutcome | { invalid: string } = checkOutcome(value);
    if ('invalid' in checked) {
      return {
        kind: 'failed',
        code: ErrorCodes.SYNC_INVALID_RESULT,
        message: `${provider.provider}: its plugin ${provider.plugin} returned something that is not a sync result (${checked.invalid})`,
        retryable: false,
        rateLimited: false,
      };
    }
    if (checked.status === 'ok') return { kind: 'ok', models: checked.models, rejected: checked.rejected, rejectedCount: checked.rejectedCount };
    if (checked.status === 'skipped') return { kind: 'skipped', reason: checked.reason };
    const serverError = checked.kind === 'http' && checked.httpStatus !== undefined && (checked.httpStatus >= 500 || checked.httpStatus === 408);
    return {
      kind: 'failed',
      code: ErrorCodes.SYNC_FAILED,
      message: this.scrub(checked.message),
      retryable: RETRYABLE_KINDS.has(checked.kind) || serverError,
      rateLimited: checked.kind === 'rate-limited',
      ...(checked.retryAfterSeconds === undefined ? {} : { retryAfterMs: checked.retryAfterSeconds * 1000 }),
    };
  }

  /** Blanks every configured key and every value of a key variable out of `text`. */
  private scrub(text: string): string {
    const secrets = new Set<string>();
    for (const provider of Object.values(this.options.config.providers)) if (provider.apiKey) secrets.add(provider.apiKey);
    const env = this.options.env ?? process.env;
    for (const provider of this.providers()) {
      for (const name of provider.keyVariables) {
        const value = env[name];
        if (value !== undefined && value.trim().length >= 4) secrets.add(value.trim());
      }
    }
    let out = text;
    for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
    return out;
  }

  private historyRow(result: ProviderRunResult, trigger: SyncTrigger, startedAt: number, finishedAt: number, written: number, repriced: number): SyncRunInput {
    return {
      provider: result.provider,
      plugin: result.plugin,
      trigger,
      startedAt,
      finishedAt,
      status: result.status,
      attempts: result.attempts,
      modelsFetched: result.modelsFetched,
      modelsWritten: written,
      modelsRejected: result.modelsRejected,
      repricedRecords: repriced,
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message ?? null,
      retryAfterAt: result.retryAfterAt,
      details: { ...(result.rejected.length > 0 ? { rejected: result.rejected } : {}), ...(result.reason === null ? {} : { reason: result.reason }) },
    };
  }

  private log(result: ProviderRunResult): void {
    const logger = this.options.logger;
    if (logger === undefined) return;
    const fields = { provider: result.provider, status: result.status, attempts: result.attempts, models: result.modelsFetched, rejected: result.modelsRejected };
    if (result.status === 'failed' || result.status === 'rate-limited') logger.warn({ ...fields, code: result.error?.code }, `sync ${result.provider}: ${result.error?.message ?? result.reason ?? result.status}`);
    else if (result.status === 'partial') logger.warn(fields, `sync ${result.provider}: ${result.modelsRejected} entries rejected, e.g. ${result.rejected[0]?.model}: ${result.rejected[0]?.reason}`);
    else logger.info(fields, `sync ${result.provider}: ${result.status}${result.reason ? ` (${result.reason})` : ''}`);
  }
}

// A function, so the compiler does not narrow `aborted` across the await before it.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function standingOf(provider: SyncContribution): SourceStanding {
  return { source: provider.provider, official: provider.official, priority: provider.priority };
}

/** The sync plugins among `records` (read from their manifests, without running them). */
export function listSyncProviders(records: readonly PluginRecord[], config: ResolvedConfig['sync']): SyncProvider[] {
  const providers: SyncProvider[] = [];
  for (const record of records) {
    const contribution = syncContribution(record.manifest);
    if (contribution === null) continue;
    const settings = config.providers[contribution.provider];
    providers.push({
      ...contribution,
      plugin: record.name,
      version: record.version,
      state: record.state,
      stateReason: record.reason ?? null,
      enabled: settings?.enabled !== false,
      baseUrl: settings?.baseUrl ?? null,
      keyVariables: [...(record.manifest?.rimuru.permissions?.env ?? [])],
    });
  }
  return providers.sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
}
