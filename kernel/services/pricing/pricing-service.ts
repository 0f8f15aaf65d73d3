import type { Logger } from 'pino';
import type { Database } from '../storage/database';
import { ModelRepository, type QueryTarget } from '../storage/repositories';
import type { MatchedPrices } from './model-prices';
import { priceUsage, type CostMode, type PriceResult, type PricedUsage } from './price-usage';
import { PricingCatalog } from './pricing-catalog';
import { seedModelsFromSnapshot } from './seed-models';

export interface PricingServiceOptions {
  /** The mode `price` uses when the caller names none. Default `auto`. */
  mode?: CostMode;
  /** Write the snapshot into the `models` table first (`seedModelsFromSnapshot`). Default `true`. */
  seed?: boolean;
  logger?: Logger;
}

/** One call to price: the usage and, when the agent logged one, its provider (a tie-breaker for lookups). */
export type PricingRequest = PricedUsage & { provider?: string | null };

const shared = new WeakMap<Database, Promise<PricingService>>();

/**
 * The cost engine as the ingestion engine and the reports use it: one catalog per process,
 * built from the embedded snapshot and the store's synced models, that prices usage and
 * remembers which models it could not price.
 */
export class PricingService {
  private current: PricingCatalog;
  private readonly unknown = new Map<string, number>();

  private constructor(
    private readonly db: QueryTarget | undefined,
    catalog: PricingCatalog,
    /** The mode `price` uses by default. */
    readonly mode: CostMode,
    private readonly logger: Logger | undefined,
  ) {
    this.current = catalog;
  }

  /**
   * A service on `db` (seeded unless `seed: false`, then the snapshot layered with the
   * store's synced models), or on the snapshot alone without `db`.
   * @throws StorageError when the store cannot be read or written.
   */
  static async open(db: QueryTarget | undefined, options: PricingServiceOptions = {}): Promise<PricingService> {
    const service = new PricingService(db, PricingCatalog.fromSnapshot(), options.mode ?? 'auto', options.logger);
    if (db !== undefined && options.seed !== false) {
      const seeded = await seedModelsFromSnapshot(db);
      if (seeded.written > 0) options.logger?.debug({ ...seeded, snapshot: service.snapshotDate }, 'pricing: snapshot written to the models table');
    }
    await service.refresh();
    return service;
  }

  /**
   * The process-wide service of this store, built on first use (with these options) and
   * shared by every later caller, whatever options they pass. A failed build is not kept.
   */
  static forDatabase(db: Database, options: PricingServiceOptions = {}): Promise<PricingService> {
    let service = shared.get(db);
    if (service === undefined) {
      service = PricingService.open(db, options);
      shared.set(db, service);
      service.catch(() => shared.delete(db));
    }
    return service;
  }

  /** The catalog prices are looked up in (replaced by `refresh`). */
  get catalog(): PricingCatalog {
    return this.current;
  }

  /** When the embedded snapshot was taken (`YYYY-MM`), to show beside snapshot prices. */
  get snapshotDate(): string {
    return this.current.snapshotDate;
  }

  /** Re-reads the store's synced models (after a sync) and rebuilds the catalog. */
  async refresh(): Promise<void> {
    const snapshot = PricingCatalog.fromSnapshot();
    if (this.db === undefined) {
      this.current = snapshot;
      return;
    }
    const rows = await new ModelRepository(this.db, { logger: this.logger }).findAll();
    const catalog = snapshot.withStoreModels(rows);
    const unusable = catalog.skipped.length - snapshot.skipped.length;
    if (unusable > 0) this.logger?.warn({ models: catalog.skipped.slice(snapshot.skipped.length, snapshot.skipped.length + 5) }, `pricing: ${unusable} stored model(s) have no usable prices`);
    this.current = catalog;
  }

  /** `PricingCatalog.lookup` on the current catalog. */
  lookup(model: string, provider?: string | null): MatchedPrices | null {
    return this.current.lookup(model, provider ?? undefined);
  }

  /** Prices one model call (`priceUsage`), remembering a model it could not price. */
  price(request: PricingRequest, mode: CostMode = this.mode): PriceResult {
    const prices = mode === 'display' ? null : this.lookup(request.model, request.provider);
    const result = priceUsage(request, prices, mode);
    if (result.unknownModel !== undefined) this.unknown.set(result.unknownModel, (this.unknown.get(result.unknownModel) ?? 0) + 1);
    return result;
  }

  /** The models `price` met without prices since the start (or `clearUnknownModels`), by name. */
  unknownModels(): string[] {
    return [...this.unknown.keys()].sort();
  }

  /** How many records of each unknown model were priced at $0. */
  unknownModelCounts(): Record<string, number> {
    return Object.fromEntries(this.unknownModels().map((model) => [model, this.unknown.get(model) ?? 0]));
  }

  /** Starts a new run's list of unknown models. */
  clearUnknownModels(): void {
    this.unknown.clear();
  }
}
