import type { Logger } from 'pino';
import { z } from 'zod';
import type { ModelPricing, ModelPricingInput, PageOptions } from '../types';
import { instantSchema, stringListSchema, validateInput } from './input-validation';
import { readJsonColumn } from './json-column';
import type { QueryTarget } from './query-target';
import type { Repository, RepositoryOptions } from './repository';
import { numberOf, numberOrNull, stringOrNull } from './row-values';
import { storageCall } from './storage-call';
import { TableRepository } from './table-repository';

const TABLE = 'models';

// Domain field ↔ column, for the nullable numeric columns.
const PRICE_COLUMNS = {
  inputPrice: 'input_price',
  outputPrice: 'output_price',
  cacheWritePrice: 'cache_write_price',
  cacheWrite1hPrice: 'cache_write_1h_price',
  cacheReadPrice: 'cache_read_price',
  inputPriceAbove200k: 'input_price_above_200k',
  outputPriceAbove200k: 'output_price_above_200k',
  cacheWritePriceAbove200k: 'cache_write_price_above_200k',
  cacheReadPriceAbove200k: 'cache_read_price_above_200k',
} as const;
type PriceField = keyof typeof PRICE_COLUMNS;
const PRICE_FIELDS = Object.keys(PRICE_COLUMNS) as PriceField[];

const price = z.number().finite().nonnegative().nullish();
const count = z.number().int().positive().nullish();
const provenanceSchema = z.record(z.string(), z.string());

const modelInputSchema = z.object({
  provider: z.string().min(1).max(100),
  model: z.string().min(1).max(200),
  displayName: z.string().max(200).nullish(),
  ...(Object.fromEntries(PRICE_FIELDS.map((field) => [field, price])) as Record<PriceField, typeof price>),
  contextWindow: count,
  maxOutputTokens: count,
  capabilities: stringListSchema.optional(),
  source: z.string().min(1).max(64),
  provenance: provenanceSchema.optional(),
  updatedAt: instantSchema.optional(),
});

// Rows per multi-row INSERT: 21 columns × 400 stays under SQLite's 32766 bound parameters.
const UPSERT_CHUNK = 400;

function toRow(input: ModelPricingInput, now: number): Record<string, string | number | null> {
  const model = validateInput(modelInputSchema, input, `model ${input?.provider}/${input?.model}`);
  const row: Record<string, string | number | null> = {
    provider: model.provider,
    model: model.model,
    display_name: model.displayName ?? null,
    context_window: model.contextWindow ?? null,
    max_output_tokens: model.maxOutputTokens ?? null,
    capabilities: JSON.stringify(model.capabilities ?? []),
    source: model.source,
    provenance: JSON.stringify(model.provenance ?? {}),
    updated_at: model.updatedAt ?? now,
  };
  for (const field of PRICE_FIELDS) row[PRICE_COLUMNS[field]] = model[field] ?? null;
  return row;
}

function toModel(row: Record<string, unknown>, logger: Logger | undefined): ModelPricing {
  const id = numberOf(row.id);
  const prices = Object.fromEntries(PRICE_FIELDS.map((field) => [field, numberOrNull(row[PRICE_COLUMNS[field]])])) as Record<PriceField, number | null>;
  return {
    id,
    provider: String(row.provider),
    model: String(row.model),
    displayName: stringOrNull(row.display_name),
    ...prices,
    contextWindow: numberOrNull(row.context_window),
    maxOutputTokens: numberOrNull(row.max_output_tokens),
    capabilities: readJsonColumn(row.capabilities, stringListSchema, [], { table: TABLE, column: 'capabilities', id }, logger),
    source: String(row.source),
    provenance: readJsonColumn(row.provenance, provenanceSchema, {}, { table: TABLE, column: 'provenance', id }, logger),
    updatedAt: numberOf(row.updated_at),
  };
}

/** Model prices, unique on provider + model. Listings are ordered by provider, then model. */
export class ModelRepository extends TableRepository<ModelPricing> implements Repository<ModelPricing, number, ModelPricingInput> {
  private readonly now: () => number;

  constructor(target: QueryTarget, options: RepositoryOptions & { now?: () => number } = {}) {
    super(target, TABLE, toModel, options);
    this.now = options.now ?? Date.now;
  }

  async findById(id: number): Promise<ModelPricing | null> {
    return this.one(`reading model ${id}`, (query) => query.where({ id }));
  }

  async findAll(options?: PageOptions): Promise<ModelPricing[]> {
    return this.many('listing models', (query) => query.orderBy([{ column: 'provider' }, { column: 'model' }]), options);
  }

  /**
   * The model named `model`, at `provider` when given. Without a provider and with the name at
   * several providers, the most recently updated wins (then the first provider by name).
   */
  async findByName(model: string, provider?: string): Promise<ModelPricing | null> {
    return this.one(`reading model ${provider === undefined ? model : `${provider}/${model}`}`, (query) => {
      query.where({ model });
      if (provider !== undefined) query.andWhere({ provider });
      return query.orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'provider' }]);
    });
  }

  /** Inserts or replaces the model with this provider and name. @throws StorageError E1008 */
  async save(model: ModelPricingInput): Promise<ModelPricing> {
    const row = toRow(model, this.now());
    await storageCall(`saving model ${row.provider}/${row.model}`, () => this.knex(TABLE).insert(row).onConflict(['provider', 'model']).merge());
    const stored = await this.findByName(String(row.model), String(row.provider));
    if (stored === null) throw new TypeError(`model ${row.provider}/${row.model} vanished right after it was saved`);
    return stored;
  }

  /**
   * Inserts or replaces many models in one transaction (a pricing sync): all or nothing.
   * A provider/model listed twice keeps its last entry. Returns how many were written.
   * @throws StorageError E1008 naming the first invalid model (nothing written).
   */
  async upsertMany(models: readonly ModelPricingInput[]): Promise<number> {
    const now = this.now();
    const byKey = new Map<string, Record<string, string | number | null>>();
    for (const model of models) {
      const row = toRow(model, now);
      byKey.set(`${row.provider}\u0000${row.model}`, row);
    }
    const rows = [...byKey.values()];
    if (rows.length === 0) return 0;
    await storageCall(`saving ${rows.length} models`, () =>
      this.knex.transaction(async (trx) => {
        for (let start = 0; start < rows.length; start += UPSERT_CHUNK) {
          await trx(TABLE).insert(rows.slice(start, start + UPSERT_CHUNK)).onConflict(['provider', 'model']).merge();
        }
      }),
    );
    return rows.length;
  }

  async delete(id: number): Promise<boolean> {
    return this.deleteWhere(`deleting model ${id}`, { id });
  }
}
