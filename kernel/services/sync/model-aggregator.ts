import type { ModelInfo, ModelPrices as SourcePrices } from '../../../sdk/src/kinds/sync';
import { canonicalModelName } from '../pricing/model-name';
import { SNAPSHOT_SOURCE } from '../pricing/snapshot';
import type { ModelPricing, ModelPricingInput } from '../storage/types';

/** How much a source's word counts: see {@link ModelAggregator}. */
export interface SourceStanding {
  source: string;
  official: boolean;
  priority: number;
}

/** The models one provider returned in this run. */
export interface SourceModels {
  standing: SourceStanding;
  models: readonly ModelInfo[];
}

/** Price columns of the `models` table ← the SDK's price kinds. */
const PRICE_FIELDS = [
  ['inputPrice', 'input'],
  ['outputPrice', 'output'],
  ['cacheWritePrice', 'cacheWrite'],
  ['cacheWrite1hPrice', 'cacheWrite1h'],
  ['cacheReadPrice', 'cacheRead'],
  ['inputPriceAbove200k', 'inputAbove200k'],
  ['outputPriceAbove200k', 'outputAbove200k'],
  ['cacheWritePriceAbove200k', 'cacheWriteAbove200k'],
  ['cacheReadPriceAbove200k', 'cacheReadAbove200k'],
] as const satisfies ReadonlyArray<readonly [keyof ModelPricing, keyof SourcePrices]>;

type PriceField = (typeof PRICE_FIELDS)[number][0];
/** Fields that say what a model is rather than what it costs: the vendor's own word wins. */
const IDENTITY_FIELDS = ['displayName', 'contextWindow', 'maxOutputTokens', 'capabilities'] as const;
type IdentityField = (typeof IDENTITY_FIELDS)[number];
type Field = PriceField | IdentityField;
type FieldValue = number | string | string[];

/** A source the aggregator does not know (a plugin since removed): below every known one, above the snapshot. */
const UNKNOWN_PRIORITY = 1_000_000;

export interface AggregateResult {
  /** Rows to upsert: every spelling of every model this run touched whose fields changed. */
  rows: ModelPricingInput[];
  /** Models (provider + comparable name) the run's sources named. */
  models: number;
  /** Rows left as they were (nothing new for them). */
  unchanged: number;
}

interface Candidate {
  standing: SourceStanding;
  value: FieldValue;
}

function groupKey(provider: string, model: string): string {
  return `${provider.trim().toLowerCase()}\u0000${canonicalModelName(model)}`;
}

function rowKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function fieldOf(info: ModelInfo, field: Field): FieldValue | undefined {
  if (field === 'displayName') return info.displayName;
  if (field === 'contextWindow') return info.contextWindow;
  if (field === 'maxOutputTokens') return info.maxOutputTokens;
  if (field === 'capabilities') return info.capabilities !== undefined && info.capabilities.length > 0 ? [...info.capabilities].sort() : undefined;
  const kind = PRICE_FIELDS.find(([column]) => column === field)?.[1];
  return kind === undefined ? undefined : info.prices?.[kind];
}

function storedOf(row: ModelPricing, field: Field): FieldValue | undefined {
  const value = row[field];
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.length > 0 ? value : undefined;
  return value;
}

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => item === b[index]);
  return a === b;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Merges what the sync providers returned into rows of the `models` table, one field at a
 * time, and keeps which source each field came from (`provenance`).
 *
 * - **Which rows.** A model is its provider plus its name compared the way the cost engine
 *   compares names (`canonicalModelName`: case, routing prefix, dotted versions), so Google's
 *   `gemini-2.5-pro` and LiteLLM's `gemini/gemini-2.5-pro` (both provider `gemini`) are one
 *   model. Every spelling of it — the sources' and the stored rows' (the snapshot's too) — gets
 *   the merged fields, so whichever name an agent logs, it is priced the same.
 * - **Conflict rule.** Names, context windows, output limits and capabilities: an official
 *   source (the vendor's own API) first, then lower `priority`. Prices: lower `priority` first
 *   (the pricing sources declare the lower numbers; the vendors' model lists carry none). The
 *   embedded snapshot ranks below every source; a source no longer installed below every
 *   installed one. Ties: the source's name.
 * - **Nothing known is lost.** A field no source of this run gives keeps its stored value and
 *   provenance; a source's new value replaces its own old one; a row is never deleted — a
 *   provider that failed this run leaves its last good data in place.
 */
export class ModelAggregator {
  private readonly standings: ReadonlyMap<string, SourceStanding>;

  /** `known`: every installed source, so stored provenance is ranked by the same rule. */
  constructor(known: Iterable<SourceStanding>) {
    this.standings = new Map([...known].map((standing) => [standing.source, standing]));
  }

  private standingOf(source: string): SourceStanding {
    if (source === SNAPSHOT_SOURCE) return { source, official: false, priority: Number.POSITIVE_INFINITY };
    return this.standings.get(source) ?? { source, official: false, priority: UNKNOWN_PRIORITY };
  }

  /** Lower first: the winner of a field is the first candidate in this order. */
  private rank(field: Field, a: SourceStanding, b: SourceStanding): number {
    const identity = (IDENTITY_FIELDS as readonly string[]).includes(field);
    if (identity && a.official !== b.official) return a.official ? -1 : 1;
    if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
    return compareText(a.source, b.source);
  }

  /**
   * The rows to write for `fresh` (this run's successful providers) over `stored` (the whole
   * `models` table). Rows whose fields and provenance would not change are left out.
   */
  merge(stored: readonly ModelPricing[], fresh: readonly SourceModels[], now: number): AggregateResult {
    const storedByGroup = new Map<string, ModelPricing[]>();
    for (const row of stored) {
      const key = groupKey(row.provider, row.model);
      const list = storedByGroup.get(key);
      if (list === undefined) storedByGroup.set(key, [row]);
      else list.push(row);
    }
    const groups = new Map<string, Array<{ standing: SourceStanding; info: ModelInfo }>>();
    for (const { standing, models } of fresh) {
      for (const info of models) {
        const key = groupKey(info.provider, info.model);
        const list = groups.get(key);
        if (list === undefined) groups.set(key, [{ standing, info }]);
        else list.push({ standing, info });
      }
    }

    const rows: ModelPricingInput[] = [];
    let unchanged = 0;
    for (const [key, members] of groups) {
      const storedRows = storedByGroup.get(key) ?? [];
      const spellings = new Map<string, { provider: string; model: string; stored?: ModelPricing }>();
      for (const row of storedRows) spellings.set(rowKey(row.provider, row.model), { provider: row.provider, model: row.model, stored: row });
      for (const { info } of members) {
        const id = rowKey(info.provider, info.model);
        if (!spellings.has(id)) spellings.set(id, { provider: info.provider, model: info.model });
      }
      for (const spelling of spellings.values()) {
        const row = this.mergeRow(spelling.provider, spelling.model, spelling.stored, storedRows, members, now);
        if (row === null) unchanged += 1;
        else rows.push(row);
      }
    }
    return { rows, models: groups.size, unchanged };
  }

  private mergeRow(
    provider: string,
    model: string,
    stored: ModelPricing | undefined,
    /** Every stored spelling of this model: what one knows, the others may take. */
    group: readonly ModelPricing[],
    members: ReadonlyArray<{ standing: SourceStanding; info: ModelInfo }>,
    now: number,
  ): ModelPricingInput | null {
    const provenance: Record<string, string> = { ...(stored?.provenance ?? {}) };
    const values = new Map<Field, FieldValue | undefined>();
    let changed = stored === undefined;
    const fields: Field[] = [...PRICE_FIELDS.map(([column]) => column), ...IDENTITY_FIELDS];
    for (const field of fields) {
      const candidates: Candidate[] = [];
      for (const { standing, info } of members) {
        const value = fieldOf(info, field);
        if (value !== undefined) candidates.push({ standing, value });
      }
      const storedValue = stored === undefined ? undefined : storedOf(stored, field);
      // Stored values compete (this spelling's first) unless their source has just said
      // something newer; a value known under another spelling counts for this one too.
      for (const row of stored === undefined ? group : [stored, ...group.filter((other) => other !== stored)]) {
        const value = storedOf(row, field);
        const source = row.provenance[field] ?? row.source;
        if (value !== undefined && !candidates.some((candidate) => candidate.standing.source === source)) {
          candidates.push({ standing: this.standingOf(source), value });
        }
      }
      if (candidates.length === 0) {
        values.set(field, undefined);
        continue;
      }
      candidates.sort((a, b) => this.rank(field, a.standing, b.standing));
      const winner = candidates[0] as Candidate;
      values.set(field, winner.value);
      if (!sameValue(winner.value, storedValue) || provenance[field] !== winner.standing.source) changed = true;
      provenance[field] = winner.standing.source;
    }
    if (!changed) return null;

    // The row's source: whoever set its input price, unless that is the snapshot (a row a
    // source touched is no longer a snapshot copy), then the best-ranked source of this run.
    const freshSources = [...new Set(members.map((member) => member.standing.source))].map((source) => this.standingOf(source));
    freshSources.sort((a, b) => this.rank('inputPrice', a, b));
    const inputSource = provenance.inputPrice;
    const source = inputSource !== undefined && inputSource !== SNAPSHOT_SOURCE ? inputSource : (freshSources[0]?.source ?? stored?.source ?? SNAPSHOT_SOURCE);

    const row: ModelPricingInput = {
      provider,
      model,
      displayName: (values.get('displayName') as string | undefined) ?? null,
      contextWindow: (values.get('contextWindow') as number | undefined) ?? null,
      maxOutputTokens: (values.get('maxOutputTokens') as number | undefined) ?? null,
      capabilities: (values.get('capabilities') as string[] | undefined) ?? [],
      source,
      provenance,
      updatedAt: now,
    };
    for (const [column] of PRICE_FIELDS) row[column] = (values.get(column) as number | undefined) ?? null;
    return row;
  }
}
