import type { ModelPricing } from '../storage/types';
import { canonicalModelName, splitDateSuffix } from './model-name';
import { PRICE_FIELDS, STORED_PRICE_FIELDS, pricesOf, type CatalogModel, type MatchKind, type MatchedPrices, type ModelPrices } from './model-prices';
import { SNAPSHOT_DATE, SNAPSHOT_SOURCE, embeddedSnapshotModels, type ParsedPriceList, type SkippedModel } from './snapshot';

// Distinct names asked of one catalog stay in the hundreds; the bound only guards against a
// stream of garbage names.
const LOOKUP_CACHE_MAX = 10_000;

function keyOf(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order in which candidates with the same (exact or normalised) name are preferred:
 * a bare name before a routed one (`claude-sonnet-4-5` before `anthropic/claude-sonnet-4.5`),
 * a model the snapshot lists before a store-only one, the most recently updated prices, then
 * provider and name in code-point order — so the answer never depends on load order.
 */
function compareCandidates(a: CatalogModel, b: CatalogModel): number {
  const routedA = a.model.includes('/');
  const routedB = b.model.includes('/');
  if (routedA !== routedB) return routedA ? 1 : -1;
  if (a.inSnapshot !== b.inSnapshot) return a.inSnapshot ? -1 : 1;
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return compareText(a.provider, b.provider) || compareText(a.model, b.model);
}

function addTo<K>(index: Map<K, CatalogModel[]>, key: K, model: CatalogModel): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [model]);
  else list.push(model);
}

function usablePrice(value: number | null): number | null {
  return value !== null && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Lays a stored row over the catalog model with the same provider and name (if any): each
 * price the row knows replaces the catalog's, a price the row lacks keeps the catalog's.
 */
function mergeStoreRow(base: CatalogModel | undefined, row: ModelPricing): CatalogModel | SkippedModel {
  // Without a base, input and output are unknown until the row gives them (NaN, checked below).
  const prices: ModelPrices =
    base === undefined
      ? { ...(Object.fromEntries(PRICE_FIELDS.map((field) => [field, null])) as Record<keyof ModelPrices, null>), inputPrice: Number.NaN, outputPrice: Number.NaN }
      : pricesOf(base);
  const provenance: CatalogModel['provenance'] = { ...base?.provenance };
  let contributed = false;
  for (const field of STORED_PRICE_FIELDS) {
    const value = usablePrice(row[field]);
    if (value === null) continue;
    prices[field] = value;
    provenance[field] = row.provenance[field] ?? row.source;
    contributed = true;
  }
  if (Number.isNaN(prices.inputPrice) || Number.isNaN(prices.outputPrice)) {
    return { model: `${row.provider}/${row.model}`, reason: `stored by ${row.source} without an input or output price` };
  }
  return {
    ...prices,
    model: row.model,
    provider: row.provider,
    source: contributed || base === undefined ? row.source : base.source,
    provenance,
    inSnapshot: base?.inSnapshot ?? false,
    updatedAt: contributed || base === undefined ? row.updatedAt : base.updatedAt,
    contextWindow: row.contextWindow ?? base?.contextWindow ?? null,
    maxOutputTokens: row.maxOutputTokens ?? base?.maxOutputTokens ?? null,
    capabilities: row.capabilities.length > 0 ? row.capabilities : (base?.capabilities ?? []),
  };
}

function toMatch(model: CatalogModel, matchedBy: MatchKind): MatchedPrices {
  return { ...pricesOf(model), matchedAs: model.model, matchedBy, provider: model.provider, source: model.source };
}

let fromEmbeddedSnapshot: PricingCatalog | undefined;

/**
 * Every model Rimuru can price: the embedded snapshot, optionally layered with the models the
 * store holds from sync providers. Immutable: layering returns a new catalog.
 *
 * **Matching** (`lookup`), first rule that finds something wins:
 * 1. *exact* — the name as logged equals a catalog name;
 * 2. *normalized* — equal after `canonicalModelName` on both sides: case, a provider path
 *    (`anthropic/`, `openai/`, `openrouter/<vendor>/`, `bedrock/`, …), Vertex's `@date`, and
 *    dotted versions (`claude-sonnet-4.5` = `claude-sonnet-4-5`);
 * 3. *date-suffix* — an 8-digit date suffix is optional both ways: a dated name matches its
 *    undated base (`claude-opus-4-5-20251101` → `claude-opus-4-5` when only that exists), and an
 *    undated name matches its dated releases (`claude-sonnet-4` → `claude-sonnet-4-20250514`),
 *    the newest date first.
 *
 * Never by substring: `sonnet-4-5` matches nothing, and a platform id such as
 * `claude-sonnet-4-5-20250929-v1:0` (Bedrock) or `us.anthropic.…` is reached only by its own
 * full name. When one rule finds several models, the asked provider's wins, then the order of
 * `compareCandidates` (bare name, snapshot-listed, newest prices, provider, name).
 */
export class PricingCatalog {
  private readonly byName = new Map<string, CatalogModel[]>();
  private readonly byCanonical = new Map<string, CatalogModel[]>();
  // Undated base → its dated releases, newest date first.
  private readonly datedByBase = new Map<string, CatalogModel[]>();
  private readonly dateOf = new Map<CatalogModel, string>();
  private readonly byKey = new Map<string, CatalogModel>();
  private readonly lookups = new Map<string, MatchedPrices | null>();

  private constructor(
    models: readonly CatalogModel[],
    /** Entries of the price lists (snapshot, store) that could not be used, and why. */
    readonly skipped: readonly SkippedModel[],
    /** When the embedded snapshot under this catalog was taken (`YYYY-MM`). */
    readonly snapshotDate: string,
  ) {
    for (const model of models) this.byKey.set(keyOf(model.provider, model.model), model);
    for (const model of this.byKey.values()) {
      addTo(this.byName, model.model, model);
      const canonical = canonicalModelName(model.model);
      addTo(this.byCanonical, canonical, model);
      const dated = splitDateSuffix(canonical);
      if (dated !== null) {
        addTo(this.datedByBase, dated.base, model);
        this.dateOf.set(model, dated.date);
      }
    }
    for (const list of [...this.byName.values(), ...this.byCanonical.values()]) list.sort(compareCandidates);
    for (const list of this.datedByBase.values()) {
      list.sort((a, b) => compareText(this.dateOf.get(b) ?? '', this.dateOf.get(a) ?? '') || compareCandidates(a, b));
    }
  }

  /** The embedded snapshot's catalog (built once per process). */
  static fromSnapshot(): PricingCatalog {
    if (fromEmbeddedSnapshot === undefined) {
      const snapshot = embeddedSnapshotModels();
      fromEmbeddedSnapshot = new PricingCatalog(snapshot.models, snapshot.skipped, SNAPSHOT_DATE);
    }
    return fromEmbeddedSnapshot;
  }

  /** A catalog of a parsed price list (`parseLiteLlmPriceList`): tests and sync previews. */
  static fromPriceList(list: ParsedPriceList, snapshotDate: string = SNAPSHOT_DATE): PricingCatalog {
    return new PricingCatalog(list.models, list.skipped, snapshotDate);
  }

  /**
   * This catalog with the store's models laid over it. Rows whose `source` is `snapshot` are
   * copies of a snapshot (maybe an older one) and are ignored; every other row overrides the
   * model with the same provider and name price by price — a price the row lacks (`null`)
   * never replaces a known one — or adds a model the snapshot does not have (it needs an input
   * and an output price; without them it is listed in `skipped`). A row without any price (a
   * vendor's model list names a model it does not price) adds nothing. Each price keeps the
   * source the row's `provenance` names for it (a synced row merges several sources).
   */
  withStoreModels(rows: readonly ModelPricing[]): PricingCatalog {
    const merged = new Map(this.byKey);
    const skipped = [...this.skipped];
    for (const row of rows) {
      if (row.source === SNAPSHOT_SOURCE) continue;
      const key = keyOf(row.provider, row.model);
      const base = merged.get(key);
      // A vendor's model list names models without pricing them: nothing to price with.
      if (base === undefined && STORED_PRICE_FIELDS.every((field) => usablePrice(row[field]) === null)) continue;
      const result = mergeStoreRow(base, row);
      if ('reason' in result) skipped.push(result);
      else merged.set(key, result);
    }
    return new PricingCatalog([...merged.values()], skipped, this.snapshotDate);
  }

  /** How many models the catalog can price. */
  get size(): number {
    return this.byKey.size;
  }

  /** Every model, in provider then name order. */
  models(): CatalogModel[] {
    return [...this.byKey.values()].sort((a, b) => compareText(a.provider, b.provider) || compareText(a.model, b.model));
  }

  /** The model with exactly this provider and name, if any (no matching rules). */
  model(provider: string, name: string): CatalogModel | undefined {
    return this.byKey.get(keyOf(provider, name));
  }

  /**
   * The prices of `model` as an agent logged it, or `null` when no rule (see the class) finds
   * it — price it at $0 and report its name. `provider` (as the agent logged it) only breaks
   * ties between models of the same name; it never excludes one. Answers are cached.
   */
  lookup(model: string, provider?: string): MatchedPrices | null {
    const cacheKey = keyOf(provider ?? '', model);
    const cached = this.lookups.get(cacheKey);
    if (cached !== undefined || this.lookups.has(cacheKey)) return cached ?? null;
    const found = this.find(model, provider?.trim().toLowerCase() || undefined);
    if (this.lookups.size >= LOOKUP_CACHE_MAX) this.lookups.clear();
    this.lookups.set(cacheKey, found);
    return found;
  }

  private find(model: string, provider: string | undefined): MatchedPrices | null {
    const name = model.trim();
    if (name.length === 0) return null;
    const exact = this.pick(this.byName.get(name), provider);
    if (exact !== undefined) return toMatch(exact, 'exact');
    const canonical = canonicalModelName(name);
    const normalized = this.pick(this.byCanonical.get(canonical), provider);
    if (normalized !== undefined) return toMatch(normalized, 'normalized');
    const dated = splitDateSuffix(canonical);
    const byDate =
      dated === null
        ? this.pick(this.newestRelease(this.datedByBase.get(canonical), provider), provider)
        : this.pick(this.byCanonical.get(dated.base), provider);
    return byDate === undefined ? null : toMatch(byDate, 'date-suffix');
  }

  // The releases that share the newest date (with a provider hint: that provider's newest, if any).
  private newestRelease(releases: CatalogModel[] | undefined, provider: string | undefined): CatalogModel[] | undefined {
    if (releases === undefined || releases.length === 0) return undefined;
    const own = provider === undefined ? [] : releases.filter((model) => model.provider.toLowerCase() === provider);
    const pool = own.length > 0 ? own : releases;
    const newest = this.dateOf.get(pool[0] as CatalogModel);
    return pool.filter((model) => this.dateOf.get(model) === newest);
  }

  private pick(candidates: CatalogModel[] | undefined, provider: string | undefined): CatalogModel | undefined {
    if (candidates === undefined || candidates.length === 0) return undefined;
    if (provider !== undefined) {
      const own = candidates.find((candidate) => candidate.provider.toLowerCase() === provider);
      if (own !== undefined) return own;
    }
    return candidates[0];
  }
}
