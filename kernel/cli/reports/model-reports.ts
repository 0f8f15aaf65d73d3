import { ErrorCodes, PricingError } from '../../core/errors';
import { canonicalModelName, DEFAULT_CACHE_MULTIPLIERS, PricingService, SNAPSHOT_SOURCE, type CatalogModel, type ModelPrices } from '../../services/pricing';
import type { Database, ModelPricing } from '../../services/storage';
import { ModelRepository } from '../../services/storage';

/** One row of `models list` / `models search`. */
export interface ModelRow {
  provider: string;
  model: string;
  displayName: string | null;
  /** USD per token; null = not published. */
  inputPrice: number | null;
  outputPrice: number | null;
  cacheWritePrice: number | null;
  cacheReadPrice: number | null;
  contextWindow: number | null;
  maxOutputTokens: number | null;
  /** `snapshot`, or the sync source that set its prices (or, for an unpriced model, named it). */
  source: string;
  /** Which source each field came from. */
  provenance: Record<string, string>;
  updatedAt: string;
}

export interface ModelListReport {
  report: 'models';
  /** When the embedded snapshot under the synced prices was taken (`YYYY-MM`). */
  snapshotDate: string;
  rows: ModelRow[];
}

function toRow(row: ModelPricing): ModelRow {
  return {
    provider: row.provider,
    model: row.model,
    displayName: row.displayName,
    inputPrice: row.inputPrice,
    outputPrice: row.outputPrice,
    cacheWritePrice: row.cacheWritePrice,
    cacheReadPrice: row.cacheReadPrice,
    contextWindow: row.contextWindow,
    maxOutputTokens: row.maxOutputTokens,
    source: row.source,
    provenance: row.provenance,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** The `models` table with the snapshot written into it first (so a fresh store lists it too). */
async function storedModels(database: Database): Promise<{ rows: ModelPricing[]; snapshotDate: string }> {
  const pricing = await PricingService.open(database);
  return { rows: await new ModelRepository(database).findAll(), snapshotDate: pricing.snapshotDate };
}

/** `models list [--provider]`: every model the store knows (snapshot, synced, named by a vendor), by provider and name. */
export async function buildModelList(database: Database, provider?: string): Promise<ModelListReport> {
  const { rows, snapshotDate } = await storedModels(database);
  const wanted = provider?.trim().toLowerCase();
  return { report: 'models', snapshotDate, rows: rows.filter((row) => wanted === undefined || row.provider.toLowerCase() === wanted).map(toRow) };
}

/**
 * `models search <query>`: models whose provider, name or display name contain every word of
 * the query, compared case-blind and also in the cost engine's normal form (so `sonnet 4.5`
 * finds `claude-sonnet-4-5`).
 */
export async function searchModels(database: Database, query: string): Promise<ModelListReport> {
  const words = query.trim().toLowerCase().split(/\s+/).filter((word) => word !== '');
  const { rows, snapshotDate } = await storedModels(database);
  const matches = rows.filter((row) => {
    const text = `${row.provider}/${row.model} ${row.displayName ?? ''}`.toLowerCase();
    const canonical = `${canonicalModelName(row.model)} ${canonicalModelName(row.displayName ?? '')}`;
    return words.every((word) => text.includes(word) || canonical.includes(canonicalModelName(word)));
  });
  return { report: 'models', snapshotDate, rows: matches.map(toRow) };
}

/** One price kind of `models pricing`. */
export interface PriceLine {
  kind: string;
  field: keyof ModelPrices;
  /** USD per token (a multiplier for `fastMultiplier`); null = not published. */
  value: number | null;
  /** Where the value came from: `snapshot`, a sync source; null when not published. */
  source: string | null;
  /** What the cost engine uses instead when it is not published. */
  fallback: string | null;
}

export interface ModelPricingReport {
  report: 'model-pricing';
  asked: string;
  model: string;
  provider: string;
  matchedBy: string;
  displayName: string | null;
  contextWindow: { value: number | null; source: string | null };
  maxOutputTokens: { value: number | null; source: string | null };
  snapshotDate: string;
  prices: PriceLine[];
}

const PRICE_KINDS: ReadonlyArray<[keyof ModelPrices, string, string | null]> = [
  ['inputPrice', 'input', null],
  ['outputPrice', 'output', null],
  ['cacheWritePrice', 'cache write (5 min)', `${DEFAULT_CACHE_MULTIPLIERS.write5m} × input`],
  ['cacheWrite1hPrice', 'cache write (1 h)', `${DEFAULT_CACHE_MULTIPLIERS.write1h} × input`],
  ['cacheReadPrice', 'cache read', `${DEFAULT_CACHE_MULTIPLIERS.read} × input`],
  ['inputPriceAbove200k', 'input >200k', 'no >200k tier: input price'],
  ['outputPriceAbove200k', 'output >200k', 'no >200k tier: output price'],
  ['cacheWritePriceAbove200k', 'cache write (5 min) >200k', 'no >200k tier: cache write price'],
  ['cacheWrite1hPriceAbove200k', 'cache write (1 h) >200k', `${DEFAULT_CACHE_MULTIPLIERS.write1h} × input >200k, else no tier`],
  ['cacheReadPriceAbove200k', 'cache read >200k', 'no >200k tier: cache read price'],
  ['fastMultiplier', 'fast mode (× total)', 'none: fast costs the same'],
];

/**
 * `models pricing <model>`: the price the cost engine uses for `model` as an agent would log
 * it — every price kind, and where each came from (the snapshot or a sync source).
 * @throws PricingError E8005 when no catalog model matches.
 */
export async function buildModelPricing(database: Database, asked: string, provider?: string): Promise<ModelPricingReport> {
  const pricing = await PricingService.open(database);
  const match = pricing.lookup(asked, provider);
  const model: CatalogModel | undefined = match === null ? undefined : pricing.catalog.model(match.provider, match.matchedAs);
  if (match === null || model === undefined) {
    const similar = (await searchModels(database, asked)).rows.slice(0, 5).map((row) => `${row.provider}/${row.model}`);
    throw new PricingError(
      ErrorCodes.MODEL_NOT_FOUND,
      `no price for "${asked}"${provider ? ` at ${provider}` : ''}: it is priced at $0 — run \`rimuru-kernel sync run\`${similar.length > 0 ? `; similar: ${similar.join(', ')}` : ''}`,
    );
  }
  const row = await new ModelRepository(database).findByName(model.model, model.provider);
  const identitySource = (field: string, value: number | null): string | null =>
    value === null ? null : (row?.provenance[field] ?? (row === null || row.source === SNAPSHOT_SOURCE ? SNAPSHOT_SOURCE : row.source));
  return {
    report: 'model-pricing',
    asked,
    model: model.model,
    provider: model.provider,
    matchedBy: match.matchedBy,
    displayName: row?.displayName ?? null,
    contextWindow: { value: model.contextWindow, source: identitySource('contextWindow', model.contextWindow) },
    maxOutputTokens: { value: model.maxOutputTokens, source: identitySource('maxOutputTokens', model.maxOutputTokens) },
    snapshotDate: pricing.snapshotDate,
    prices: PRICE_KINDS.map(([field, kind, fallback]) => {
      const value = model[field];
      return { kind, field, value, source: value === null ? null : (model.provenance[field] ?? model.source), fallback: value === null ? fallback : null };
    }),
  };
}
