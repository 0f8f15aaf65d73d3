import { z } from 'zod';
import { calculateCost, type PricingService } from '../pricing';
import type { Database } from '../storage/database';
import { numberOf, stringOrNull } from '../storage/repositories/row-values';
import { storageCall } from '../storage/repositories/storage-call';

/** Records read (and updated, in one transaction) per step. */
const PAGE = 2_000;

export interface RepriceResult {
  /** Records that had been priced at $0 for want of a price and now have a cost. */
  records: number;
  /** What those records cost now, USD. */
  costUsd: number;
  /** The models that gained prices, by name as logged. */
  models: string[];
}

const flagsSchema = z.array(z.string());

function flagsOf(text: unknown): string[] {
  if (typeof text !== 'string' || text === '') return [];
  try {
    const parsed = flagsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/**
 * Prices the stored records that were priced at $0 because their model was unknown — cost
 * source `calculated`, cost 0, tokens used — with the catalog `pricing` has now (call
 * `pricing.refresh()` after a sync first). A record whose model is still unknown, or whose
 * new price is still $0, is left as it is; a record with an agent-reported cost is never
 * touched. Each page is updated in one transaction; the usage rollups follow the updates (the
 * rollup triggers of migration 0002 on both backends), so reports agree with the records.
 *
 * Walks the table by id once (records that need it are rare, the id is the primary key).
 */
export async function repriceUnpricedRecords(database: Database, pricing: Pick<PricingService, 'lookup'>): Promise<RepriceResult> {
  const knex = database.knex;
  const result: RepriceResult = { records: 0, costUsd: 0, models: [] };
  const models = new Set<string>();
  let afterId = 0;
  for (;;) {
    const rows = (await storageCall('reading records priced without a model price', () =>
      knex('usage_records')
        .select('id', 'model', 'provider', 'input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'flags')
        .where('id', '>', afterId)
        .andWhere({ cost_source: 'calculated' })
        .andWhere('cost_usd', '=', 0)
        .orderBy('id')
        .limit(PAGE),
    )) as Array<Record<string, unknown>>;
    if (rows.length === 0) break;
    afterId = numberOf(rows[rows.length - 1]?.id);
    const updates: Array<{ id: number; cost: number }> = [];
    for (const row of rows) {
      const model = String(row.model);
      const prices = pricing.lookup(model, stringOrNull(row.provider));
      if (prices === null) continue;
      const flags = flagsOf(row.flags);
      const cost = calculateCost(
        {
          model,
          inputTokens: numberOf(row.input_tokens),
          outputTokens: numberOf(row.output_tokens),
          cacheWriteTokens: numberOf(row.cache_write_tokens),
          cacheWrite1hTokens: numberOf(row.cache_write_1h_tokens),
          cacheReadTokens: numberOf(row.cache_read_tokens),
          flags,
        },
        prices,
      );
      if (!(cost > 0) || !Number.isFinite(cost)) continue;
      updates.push({ id: numberOf(row.id), cost });
      models.add(model);
    }
    if (updates.length > 0) {
      // `cost_usd = 0` again in the update: a concurrent writer that priced the record meanwhile wins.
      const changed = await storageCall(`repricing ${updates.length} records`, () =>
        knex.transaction(async (trx) => {
          const done = { count: 0, cost: 0 };
          for (const update of updates) {
            const updated = await trx('usage_records').where({ id: update.id, cost_source: 'calculated' }).andWhere('cost_usd', '=', 0).update({ cost_usd: update.cost });
            if (updated > 0) {
              done.count += 1;
              done.cost += update.cost;
            }
          }
          return done;
        }),
      );
      result.records += changed.count;
      result.costUsd += changed.cost;
    }
    if (rows.length < PAGE) break;
  }
  result.models = [...models].sort();
  return result;
}
