import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Logger } from 'pino';
import type { DataSource } from '../../../sandbox/capabilities';
import { PermissionGate } from '../../../sandbox/permissions';
import type { ResolvedConfig } from '../../config';
import {
  adapterContribution,
  adapterRunSettings,
  agentEnabled,
  IngestionEngine,
  IngestionWatcher,
  lazyPricingServicePricer,
  WRITER_THREAD_RECORDS,
  type IngestAdapter,
  type IngestLimits,
  type IngestOptions,
  type IngestRunSummary,
  type UsagePricer,
} from '../../services/ingestion';
import { BudgetService, resolveBudgets } from '../../services/budgets';
import { DeliveryLog, NotificationService, withConfiguredGrants, type NotifierHandle } from '../../services/notifications';
import { PricingService } from '../../services/pricing';
import { syncRunSettings } from '../../services/sync/sync-run-settings';
import type { Database } from '../../services/storage/database';
import { openStore } from '../../services/storage/open-store';
import { StorageDataSource } from '../../services/storage/storage-data-source';
import { DatabaseHookExecutionRecorder, DatabaseKvStore, DatabasePluginStateStore } from '../../services/storage/stores';
import { createKernelContainer, KernelContainer, KernelHookBus, provideClass, provideValue, systemClock, Tokens, type Clock } from '../container';
import { errorMessage } from '../errors';
import type { HookBus } from '../hooks';
import { defaultBuiltinPluginDir, PluginRegistry, type PluginRecord, type PluginState } from '../registry';
import { PluginRunner } from './plugin-runner';

export interface KernelOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Built-in plugins; default `plugins/` of this checkout. */
  builtinPluginDir?: string;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  /** Kernel data for the `data` capability; default: reads of the kernel's store. */
  data?: DataSource;
  /** An open, migrated store to use instead of connecting from `config.database` (the caller closes it). */
  database?: Database;
  /** How ingestion prices records; default the shared `PricingService` of the store (mode `auto`). */
  pricer?: UsagePricer;
  /** Chunk and line limits of ingestion (tests shrink them). */
  ingestLimits?: Partial<IngestLimits>;
  /** Wall clock of the budgets and notifications (tests fix "now"). */
  clock?: Clock;
  /**
   * Start only the enabled plugins this picks (and the plugins they depend on); the others stay
   * as they are, unstarted in this process. A report starts the adapters it reads and the hook
   * and notifier plugins, not every exporter and sync provider. Default: all.
   */
  startOnly?: (record: PluginRecord) => boolean;
  /**
   * An ingest follows the boot at once (a report's): its first step — the kept listings and a
   * stat of every source — starts on a worker thread while the plugins start.
   */
  prepareIngest?: boolean;
  /**
   * Plugins start when first used — an adapter when the ingest calls it, a hook plugin when a
   * hook it declares is emitted, a notifier when a notification goes to it — not at boot. For
   * short commands: a warm report needs none of them. `run` starts everything at boot.
   */
  startOnUse?: boolean;
}

export type KernelSummary = Record<PluginState, number> & { discovered: number };

/** Bound for a plugin's `deactivate` at shutdown, so Ctrl-C always ends within the 5 s promised. */
const STOP_TIMEOUT_MS = 2_000;

/**
 * The microkernel: the container, the registry, the hook bus and one sandboxed runner per
 * enabled plugin. Boot order: data dir → container (config, logger, hook bus, kv) → registry
 * discovery → plugins started in dependency order → `KernelReady`. Shutdown reverses it.
 */
export class Kernel {
  private readonly runners = new Map<string, PluginRunner>();
  private shutdownPromise?: Promise<void>;
  private stateWrites: Promise<void> = Promise.resolve();
  private ingestion?: Promise<IngestionEngine>;
  private watcher?: IngestionWatcher;
  /** Budgets (`budgets` config): fires CostThreshold once per threshold per period. */
  budgets?: BudgetService;
  /** Routes `custom:notify` to the notifier plugins and keeps the delivery log. */
  notifications?: NotificationService;

  private constructor(
    readonly container: KernelContainer,
    readonly registry: PluginRegistry,
    readonly hookBus: HookBus,
    private readonly options: KernelOptions,
  ) {}

  static async boot(options: KernelOptions): Promise<Kernel> {
    const { config, logger } = options;
    // Checked before anything starts: a mistyped budget must not leave the user unwarned.
    const budgets = resolveBudgets(config.budgets);
    await mkdir(config.dataDir, { recursive: true });
    const database = options.database ?? (await openStore(config, logger));
    const stateStore = new DatabasePluginStateStore(database.knex);
    const registry = new PluginRegistry({
      builtinDir: options.builtinPluginDir ?? defaultBuiltinPluginDir(),
      userDir: config.plugins.dir,
      stateStore,
      configuredEnabled: config.plugins.enabled,
    });
    const container = await createKernelContainer([
      provideValue(Tokens.Config, config),
      provideValue(Tokens.Logger, logger),
      // Registered first so it is disposed last, after the services that write to it.
      provideValue(Tokens.Database, database, { owned: options.database === undefined }),
      provideValue(Tokens.DataDir, config.dataDir),
      provideValue(Tokens.Clock, options.clock ?? systemClock),
      provideValue(Tokens.HookExecutionRecorder, new DatabaseHookExecutionRecorder(database.knex, { logger })),
      provideClass(Tokens.HookBus, KernelHookBus),
      provideValue(Tokens.PluginRegistry, registry),
      provideValue(Tokens.KvStore, new DatabaseKvStore(database.knex)),
    ]);
    const kernel = new Kernel(container, registry, container.resolve(Tokens.HookBus), {
      ...options,
      data: options.data ?? new StorageDataSource(database),
    });
    kernel.recordStatesIn(stateStore);
    if (options.prepareIngest) void kernel.ingestionEngine().then((engine) => engine.prepare(), () => undefined);
    await registry.discover();
    kernel.notifications = new NotificationService({
      hookBus: kernel.hookBus,
      notifiers: () => kernel.notifierHandles(),
      deliveryLog: new DeliveryLog(database.knex),
      routes: config.hooks.routes,
      delivery: config.hooks.delivery,
      logger,
      clock: options.clock,
    });
    kernel.notifications.start();
    await kernel.startPlugins();
    // After the plugins: the first evaluation's CostThreshold must reach their handlers.
    kernel.budgets = new BudgetService({ database, hookBus: kernel.hookBus, budgets, logger, clock: options.clock });
    kernel.budgets.start();
    const summary = kernel.summary();
    // A notification: nothing to chain or abort, so the handlers run side by side.
    await kernel.hookBus.emitParallel('KernelReady', { plugins: summary.discovered, running: summary.running });
    return kernel;
  }

  /**
   * Mirrors every state change into the `plugins` table, so `plugin list` from another process
   * (or machine, on PostgreSQL) sees live states. Writes are chained so a quick
   * loaded → running cannot land in the wrong order; shutdown waits for the last one.
   */
  private recordStatesIn(stateStore: DatabasePluginStateStore): void {
    const { logger } = this.options;
    this.registry.onStateChange((event) => {
      logger.debug({ plugin: event.name, from: event.from, to: event.to, reason: event.reason }, 'plugin state');
      this.stateWrites = this.stateWrites
        .then(() => stateStore.recordState(event.record))
        .catch((error: unknown) => logger.warn({ plugin: event.name, err: errorMessage(error) }, 'could not record plugin state'));
    });
  }

  /**
   * Starts every enabled plugin in dependency order. Plugins at the same depth of the
   * dependency graph do not need each other, so each depth starts at once: boot costs the
   * slowest plugin per level rather than the sum of all of them.
   */
  private async startPlugins(): Promise<void> {
    const wanted = this.pluginsToStart();
    for (const level of dependencyLevels(this.registry.loadOrder())) {
      await Promise.all(level.filter((planned) => wanted === null || wanted.has(planned.name)).map((planned) => this.startIfDependenciesRun(planned.name)));
    }
  }

  /** The names `startOnly` picks, with everything they depend on; `null` for all. */
  private pluginsToStart(): Set<string> | null {
    const { startOnly } = this.options;
    if (startOnly === undefined) return null;
    const wanted = new Set<string>();
    const pending = this.registry.list().filter((record) => startOnly(record)).map((record) => record.name);
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (wanted.has(name)) continue;
      wanted.add(name);
      pending.push(...Object.keys(this.registry.get(name)?.manifest?.rimuru.dependencies ?? {}));
    }
    return wanted;
  }

  private async startIfDependenciesRun(name: string): Promise<void> {
    // A failed start at an earlier level may have disabled this plugin through its
    // dependencies already (the registry re-evaluates after every change).
    const record = this.registry.get(name);
    if (!record || record.state !== 'enabled') return;
    const failedDependency = Object.keys(record.manifest?.rimuru.dependencies ?? {}).find(
      (dependency) => this.registry.get(dependency)?.state !== 'running',
    );
    if (failedDependency) {
      this.registry.setState(record.name, 'errored', `dependency ${failedDependency} is not running`);
      return;
    }
    await this.startPlugin(record);
  }

  private async startPlugin(record: PluginRecord): Promise<void> {
    const { config, logger } = this.options;
    const settings = syncRunSettings(
      record.manifest,
      withConfiguredGrants(record.manifest, adapterRunSettings(record.manifest, config.plugins.config[record.name] ?? {}, config.agents)),
      config.sync,
    );
    const runner = new PluginRunner(record, {
      registry: this.registry,
      hookBus: this.hookBus,
      kv: this.container.resolve(Tokens.KvStore),
      data: this.options.data,
      logger,
      env: this.options.env ?? process.env,
      homeDir: this.options.homeDir ?? homedir(),
      limitDefaults: config.sandbox.defaults,
      restart: config.sandbox.restart,
      config: settings.config,
      permissions: settings.permissions,
      createScope: (name) => this.container.createPluginScope(name),
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    this.runners.set(record.name, runner);
    const loaded = (): Promise<void> => this.hookBus.emitSeries('PluginLoaded', { plugin: record.name, version: record.version }).then(() => undefined);
    if (this.options.startOnUse) runner.deferUntilUsed(loaded);
    else if (await runner.start()) await loaded();
  }

  /** Notifier plugins the user has not turned off, for the notification service. */
  private notifierHandles(): NotifierHandle[] {
    const handles: NotifierHandle[] = [];
    for (const record of this.registry.list()) {
      if (record.manifest?.rimuru.kind !== 'notifier' || record.state === 'disabled') continue;
      handles.push({
        plugin: record.name,
        names: (record.manifest.rimuru.contributes?.notifiers ?? []).map((n) => n.name),
        config: this.options.config.plugins.config[record.name] ?? {},
        sandbox: () => this.runners.get(record.name)?.usable,
      });
    }
    return handles;
  }

  /** The running sandbox of a plugin, for host services that call plugin methods. */
  plugin(name: string): PluginRunner | undefined {
    return this.runners.get(name);
  }

  // ---- ingestion (kernel/services/ingestion) ----

  /**
   * Reads what is new in every running adapter's sources into the store (only new bytes; one
   * transaction per chunk). Problems with a plugin or a source are in the summary, not thrown.
   */
  async ingest(options?: IngestOptions): Promise<IngestRunSummary> {
    return (await this.ingestionEngine()).ingestAll(options);
  }

  /**
   * Keeps ingesting until shutdown: file-system events on the agents' data and a rescan every
   * `ingest.rescanIntervalSecs`. Watches what the last ingest saw, so call it after `ingest()`.
   */
  async watch(onIngest?: (summary: IngestRunSummary) => void): Promise<IngestionWatcher> {
    if (this.watcher) return this.watcher;
    const engine = await this.ingestionEngine();
    this.watcher = new IngestionWatcher({
      engine,
      logger: this.options.logger,
      rescanIntervalMs: this.options.config.ingest.rescanIntervalSecs * 1000,
      onIngest,
    });
    await this.watcher.start();
    return this.watcher;
  }

  private ingestionEngine(): Promise<IngestionEngine> {
    this.ingestion ??= (async () => {
      const database = this.container.resolve(Tokens.Database);
      const pricer = this.options.pricer ?? lazyPricingServicePricer(() => PricingService.forDatabase(database, { logger: this.options.logger }));
      return new IngestionEngine({
        database,
        pricer,
        adapters: () => this.ingestAdapters(),
        logger: this.options.logger,
        hookBus: this.hookBus,
        env: this.options.env ?? process.env,
        homeDir: this.options.homeDir ?? homedir(),
        beforeReading: () => this.startDeferred(),
        limits: { ...(this.options.config.ingest.writerThread ? { writerThreadRecords: WRITER_THREAD_RECORDS } : {}), ...this.options.ingestLimits },
      });
    })();
    this.ingestion.catch(() => (this.ingestion = undefined));
    return this.ingestion;
  }

  /** Starts every plugin still waiting for its first use (see `startOnUse`). */
  private async startDeferred(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.running()));
  }

  /** Adapter plugins the user has not turned off, each with its live sandbox when it runs. */
  private ingestAdapters(): IngestAdapter[] {
    const { config } = this.options;
    const adapters: IngestAdapter[] = [];
    for (const record of this.registry.list()) {
      const adapter = adapterContribution(record.manifest);
      if (adapter === null || record.state === 'disabled' || !agentEnabled(adapter.agentType, config.agents)) continue;
      const runner = this.runners.get(record.name);
      const sandbox = runner?.usable;
      const settings = adapterRunSettings(record.manifest, config.plugins.config[record.name] ?? {}, config.agents);
      adapters.push({
        plugin: record.name,
        ...adapter,
        permissions: settings.permissions,
        sandbox,
        notRunning: sandbox ? undefined : { state: record.state, reason: record.reason, code: record.reasonCode },
        observe: runner?.observe,
        fingerprint: runner?.bundleSha256 === undefined ? undefined : this.adapterFingerprint(record.name, record.version, runner.bundleSha256, settings),
      });
    }
    return adapters;
  }

  /** What an adapter's kept listings depend on besides the file system (see `AdapterListings`). */
  private adapterFingerprint(plugin: string, version: string, bundleSha256: string, settings: ReturnType<typeof adapterRunSettings>): string {
    const gate = new PermissionGate({ plugin, permissions: settings.permissions, env: this.options.env ?? process.env, homeDir: this.options.homeDir ?? homedir() });
    return createHash('sha256').update(JSON.stringify([plugin, version, bundleSha256, settings.config, settings.permissions, gate.identity()])).digest('hex');
  }

  summary(): KernelSummary {
    const summary: KernelSummary = {
      discovered: 0,
      installed: 0,
      enabled: 0,
      loaded: 0,
      running: 0,
      disabled: 0,
      errored: 0,
      quarantined: 0,
    };
    for (const record of this.registry.list()) {
      summary.discovered += 1;
      summary[record.state] += 1;
    }
    return summary;
  }

  /** Stops every plugin (dependents first), then disposes the container. Idempotent. */
  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= this.doShutdown(reason);
    return this.shutdownPromise;
  }

  private async doShutdown(reason: string): Promise<void> {
    const { logger } = this.options;
    // Ingestion first: it calls into plugins and writes to the store, both about to go away.
    const ingestion = await this.ingestion?.catch(() => undefined);
    ingestion?.stop();
    await this.watcher?.stop();
    await ingestion?.idle();
    // Alerts the last ingest crossed still go out before the plugins stop.
    await this.budgets?.stop();
    await this.hookBus.emitSeries('KernelShutdown', { reason }).catch((error: unknown) => {
      logger.warn({ err: errorMessage(error) }, 'KernelShutdown hook failed');
    });
    await this.notifications?.drain();
    for (const runner of [...this.runners.values()].reverse()) {
      await runner.stop(reason);
      await this.hookBus.emitSeries('PluginUnloaded', { plugin: runner.name, reason }).catch(() => undefined);
    }
    this.runners.clear();
    await this.stateWrites;
    const failures = await this.container.dispose();
    for (const failure of failures) logger.warn({ failure }, 'disposal failed');
  }
}

/** Groups plugins (given in dependency order) so that each group only depends on earlier ones. */
export function dependencyLevels(ordered: readonly PluginRecord[]): PluginRecord[][] {
  const depth = new Map<string, number>();
  const levels: PluginRecord[][] = [];
  for (const record of ordered) {
    const dependencies = Object.keys(record.manifest?.rimuru.dependencies ?? {});
    const level = dependencies.reduce((max, name) => Math.max(max, (depth.get(name) ?? -1) + 1), 0);
    depth.set(record.name, level);
    (levels[level] ??= []).push(record);
  }
  return levels;
}
