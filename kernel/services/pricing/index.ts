/**
 * The cost engine: a pricing catalog (the embedded LiteLLM snapshot, layered with synced
 * models from the store), model-name matching, and the price of a model call in the modes
 * `auto`, `calculate` and `display`. A host service: the ingestion engine prices records with
 * it at write time and the reports re-price with it on demand.
 */
export type { CatalogModel, MatchKind, MatchedPrices, ModelPrices } from './model-prices';
export { PRICE_FIELDS, STORED_PRICE_FIELDS, pricesOf } from './model-prices';
export { canonicalModelName, splitDateSuffix } from './model-name';
export {
  SNAPSHOT_DATE,
  SNAPSHOT_SOURCE,
  SNAPSHOT_UPDATED_AT,
  embeddedSnapshotModels,
  parseLiteLlmPriceList,
  type ParsedPriceList,
  type PriceListOrigin,
  type SkippedModel,
} from './snapshot';
export { PricingCatalog } from './pricing-catalog';
export {
  COST_MODES,
  DEFAULT_CACHE_MULTIPLIERS,
  LONG_CONTEXT_THRESHOLD,
  calculateCost,
  isFastMode,
  priceUsage,
  tieredCost,
  type CostMode,
  type PriceResult,
  type PricedUsage,
} from './price-usage';
export { seedModelsFromSnapshot, type SeedResult } from './seed-models';
export { PricingService, type PricingRequest, type PricingServiceOptions } from './pricing-service';
