import { ModelRepository, type QueryTarget } from '../storage/repositories';
import type { ModelPricingInput } from '../storage/types';
import { STORED_PRICE_FIELDS, type CatalogModel } from './model-prices';
import { SNAPSHOT_SOURCE, SNAPSHOT_UPDATED_AT, embeddedSnapshotModels } from './snapshot';

export interface SeedResult {
  /** Snapshot models inserted or refreshed. */
  written: number;
  /** Snapshot models already stored from this snapshot (nothing to write). */
  upToDate: number;
  /** Snapshot models left alone because a sync provider stored them (its prices win). */
  keptSynced: number;
}

function toRowInput(model: CatalogModel): ModelPricingInput {
  const row: ModelPricingInput = {
    provider: model.provider,
    model: model.model,
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    capabilities: model.capabilities,
    source: SNAPSHOT_SOURCE,
    provenance: model.provenance as Record<string, string>,
    updatedAt: SNAPSHOT_UPDATED_AT,
  };
  for (const field of STORED_PRICE_FIELDS) row[field] = model[field];
  return row;
}

/**
 * Writes the embedded snapshot into the `models` table (source `snapshot`, `updatedAt` = the
 * snapshot date) so the data capability and `models` listings see the same prices the cost
 * engine uses. A provider/model a sync provider stored (any other source) is never
 * overwritten; rows already holding this snapshot are not rewritten, so a run after the first
 * reads the table and writes nothing. Every write happens in one transaction.
 *
 * A sync that commits between this function's read and its write can have that model
 * overwritten with snapshot prices; the sync's next run restores it (seeding writes only when
 * the snapshot changed).
 *
 * @throws StorageError from the store (E1001/E1002), PricingError E8001 for a broken snapshot.
 */
export async function seedModelsFromSnapshot(db: QueryTarget): Promise<SeedResult> {
  const repository = new ModelRepository(db);
  const stored = new Map((await repository.findAll()).map((row) => [`${row.provider}\u0000${row.model}`, row]));
  const result: SeedResult = { written: 0, upToDate: 0, keptSynced: 0 };
  const toWrite: ModelPricingInput[] = [];
  for (const model of embeddedSnapshotModels().models) {
    const row = stored.get(`${model.provider}\u0000${model.model}`);
    if (row !== undefined && row.source !== SNAPSHOT_SOURCE) result.keptSynced += 1;
    else if (row !== undefined && row.updatedAt === SNAPSHOT_UPDATED_AT) result.upToDate += 1;
    else toWrite.push(toRowInput(model));
  }
  result.written = await repository.upsertMany(toWrite);
  return result;
}
