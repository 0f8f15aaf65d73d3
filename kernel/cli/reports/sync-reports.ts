import { Kernel } from '../../core/lifecycle';
import type { Database } from '../../services/storage';
import { listSyncProviders, SyncRunRepository, SyncService, type SyncRunRecord, type SyncRunReport, type SyncStatus } from '../../services/sync';
import { openRegistry, type CliContext } from '../cli-context';

/** `sync run`: a kernel booted for the purpose (each sync plugin in its sandbox), one run, shut down. */
export async function runSync(
  cli: CliContext,
  database: Database,
  options: { providers?: string[]; force?: boolean; env?: Record<string, string | undefined> },
): Promise<SyncRunReport> {
  const kernel = await Kernel.boot({ config: cli.config, logger: cli.logger, database });
  try {
    const service = new SyncService({ database, host: kernel, config: cli.config.sync, logger: cli.logger, env: options.env ?? process.env });
    return await service.run({ providers: options.providers, trigger: 'manual', force: options.force });
  } finally {
    await kernel.shutdown('sync run done');
  }
}

/** One provider in `sync status`. Never carries a key: only where one would come from. */
export interface SyncStatusRow {
  provider: string;
  plugin: string;
  official: boolean;
  priority: number;
  enabled: boolean;
  pluginState: string;
  baseUrl: string | null;
  /** `config`, `$VARIABLE` (set in the environment), `none` (needed or optional, not set), or `-` (the source needs none). */
  key: string;
  lastRun: { at: string; status: SyncStatus; models: number; error: string | null; reason: string | null } | null;
  lastGood: { at: string; models: number } | null;
  retryAfter: string | null;
  /** When the schedule of `run` asks it next; null when the schedule is off. */
  nextDue: string | null;
}

export interface SyncStatusReport {
  report: 'sync-status';
  intervalHours: number;
  providers: SyncStatusRow[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** `sync status`: each sync provider, its configuration and its last runs (from the store; no plugin runs). */
export async function buildSyncStatus(cli: CliContext, database: Database, env: Record<string, string | undefined> = process.env, now: number = Date.now()): Promise<SyncStatusReport> {
  const registry = await openRegistry(cli.config, database);
  const latest = await new SyncRunRepository(database).latest();
  const intervalMs = cli.config.sync.intervalHours * 3_600_000;
  const providers = listSyncProviders(registry.list(), cli.config.sync).map((provider): SyncStatusRow => {
    const runs = latest.get(provider.provider);
    const configured = cli.config.sync.providers[provider.provider]?.apiKey !== undefined;
    const fromEnv = provider.keyVariables.find((name) => (env[name] ?? '').trim() !== '');
    const key = configured ? 'config' : fromEnv !== undefined ? `$${fromEnv}` : provider.keyVariables.length > 0 ? 'none' : '-';
    const last = runs?.last;
    const good = runs?.lastGood ?? null;
    const retryAfter = last?.retryAfterAt != null && last.retryAfterAt > now ? iso(last.retryAfterAt) : null;
    return {
      provider: provider.provider,
      plugin: provider.plugin,
      official: provider.official,
      priority: provider.priority,
      enabled: provider.enabled,
      pluginState: provider.state,
      baseUrl: provider.baseUrl,
      key,
      lastRun: last ? { at: iso(last.startedAt), status: last.status, models: last.modelsFetched, error: last.errorMessage, reason: last.details.reason ?? null } : null,
      lastGood: good ? { at: iso(good.startedAt), models: good.modelsFetched } : null,
      retryAfter,
      nextDue: intervalMs <= 0 || !provider.enabled ? null : iso(Math.max(good ? good.startedAt + intervalMs : now, last?.retryAfterAt ?? 0, now)),
    };
  });
  return { report: 'sync-status', intervalHours: cli.config.sync.intervalHours, providers };
}

export interface SyncHistoryReport {
  report: 'sync-history';
  runs: SyncRunRecord[];
}

/** `sync history`: the newest runs first. */
export async function buildSyncHistory(database: Database, options: { provider?: string; limit?: number }): Promise<SyncHistoryReport> {
  return { report: 'sync-history', runs: await new SyncRunRepository(database).history(options) };
}
