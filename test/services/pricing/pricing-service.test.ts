import { PricingCatalog, PricingService, SNAPSHOT_UPDATED_AT, seedModelsFromSnapshot } from '../../../kernel/services/pricing';
import type { Database } from '../../../kernel/services/storage';
import { ModelRepository } from '../../../kernel/services/storage/repositories';
import { describeBackends } from '../storage/backends';
import { rawPrice } from './snapshot-entries';

const SNAPSHOT_MODELS = PricingCatalog.fromSnapshot().size;

describeBackends('seedModelsFromSnapshot', (backend) => {
  let db: Database;
  let models: ModelRepository;

  beforeAll(async () => {
    db = await backend.connect();
    models = new ModelRepository(db);
  });
  beforeEach(() => backend.reset());

  it('writes every snapshot model (source snapshot, dated July 2026) and nothing on a second run', async () => {
    expect(await seedModelsFromSnapshot(db)).toEqual({ written: SNAPSHOT_MODELS, upToDate: 0, keptSynced: 0 });
    const stored = await models.findAll();
    expect(stored).toHaveLength(SNAPSHOT_MODELS);
    expect(stored.every((row) => row.source === 'snapshot' && row.updatedAt === SNAPSHOT_UPDATED_AT)).toBe(true);
    expect(await models.findByName('claude-sonnet-4-5', 'anthropic')).toMatchObject({
      inputPrice: rawPrice('claude-sonnet-4-5', 'input_cost_per_token'),
      cacheWrite1hPrice: rawPrice('claude-sonnet-4-5', 'cache_creation_input_token_cost_above_1hr'),
      cacheReadPriceAbove200k: rawPrice('claude-sonnet-4-5', 'cache_read_input_token_cost_above_200k_tokens'),
      contextWindow: rawPrice('claude-sonnet-4-5', 'max_input_tokens'),
    });
    expect(await seedModelsFromSnapshot(db)).toEqual({ written: 0, upToDate: SNAPSHOT_MODELS, keptSynced: 0 });
  });

  it('never overwrites a synced row, and refreshes a row from an older snapshot', async () => {
    await models.save({ provider: 'anthropic', model: 'claude-sonnet-4-5', source: 'litellm', inputPrice: 2e-6, outputPrice: 1e-5, updatedAt: 5 });
    await models.save({ provider: 'openai', model: 'gpt-5', source: 'snapshot', inputPrice: 9, outputPrice: 9, updatedAt: Date.UTC(2025, 0, 1) });
    expect(await seedModelsFromSnapshot(db)).toEqual({ written: SNAPSHOT_MODELS - 1, upToDate: 0, keptSynced: 1 });
    expect(await models.findByName('claude-sonnet-4-5', 'anthropic')).toMatchObject({ source: 'litellm', inputPrice: 2e-6, updatedAt: 5 });
    expect(await models.findByName('gpt-5', 'openai')).toMatchObject({ source: 'snapshot', inputPrice: rawPrice('gpt-5', 'input_cost_per_token'), updatedAt: SNAPSHOT_UPDATED_AT });
  });
});

describeBackends('PricingService', (backend) => {
  let db: Database;

  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  it('seeds the store and prices from the snapshot layered with synced models', async () => {
    await new ModelRepository(db).save({ provider: 'anthropic', model: 'claude-sonnet-4-5', source: 'litellm', inputPrice: 2e-6, updatedAt: 5 });
    const service = await PricingService.open(db);
    expect(await new ModelRepository(db).findAll()).toHaveLength(SNAPSHOT_MODELS);
    expect(service.snapshotDate).toBe('2026-07');
    // input from the sync, output from the snapshot (the sync row has none).
    const result = service.price({ model: 'claude-sonnet-4.5', inputTokens: 1_000, outputTokens: 1_000, cacheWriteTokens: 0, cacheReadTokens: 0 }, 'calculate');
    expect(result.costSource).toBe('calculated');
    expect(Math.abs(result.costUsd - (1_000 * 2e-6 + 1_000 * rawPrice('claude-sonnet-4-5', 'output_cost_per_token')))).toBeLessThan(1e-12); // 0.017
  });

  it('sees a later sync after refresh()', async () => {
    const service = await PricingService.open(db, { seed: false });
    expect(service.lookup('acme-coder')).toBeNull();
    await new ModelRepository(db).save({ provider: 'openrouter', model: 'acme/acme-coder', source: 'openrouter', inputPrice: 1e-6, outputPrice: 2e-6 });
    expect(service.lookup('acme-coder')).toBeNull();
    await service.refresh();
    expect(service.lookup('acme-coder')).toMatchObject({ matchedAs: 'acme/acme-coder', inputPrice: 1e-6, source: 'openrouter' });
  });

  it('collects the models it priced at $0 for want of prices, until cleared', async () => {
    const service = await PricingService.open(db, { seed: false });
    const call = { inputTokens: 10, outputTokens: 10, cacheWriteTokens: 0, cacheReadTokens: 0 };
    expect(service.price({ ...call, model: 'mystery-b' })).toEqual({ costUsd: 0, costSource: 'calculated', unknownModel: 'mystery-b' });
    service.price({ ...call, model: 'mystery-a' });
    service.price({ ...call, model: 'mystery-b' });
    service.price({ ...call, model: 'mystery-c', costUsd: 0.1 }); // reported: not a warning
    service.price({ ...call, model: 'claude-sonnet-4-5' });
    expect(service.unknownModels()).toEqual(['mystery-a', 'mystery-b']);
    expect(service.unknownModelCounts()).toEqual({ 'mystery-a': 1, 'mystery-b': 2 });
    service.clearUnknownModels();
    expect(service.unknownModels()).toEqual([]);
  });

  it('is one service per store for the whole process', async () => {
    const first = PricingService.forDatabase(db);
    expect(PricingService.forDatabase(db)).toBe(first);
    expect((await first).catalog.size).toBe(SNAPSHOT_MODELS);
  });
});

describe('PricingService without a store', () => {
  it('prices from the snapshot alone', async () => {
    const service = await PricingService.open(undefined, { mode: 'calculate' });
    expect(service.mode).toBe('calculate');
    expect(service.catalog).toBe(PricingCatalog.fromSnapshot());
    const result = service.price({ model: 'gpt-5', inputTokens: 1_000, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costUsd: 1 });
    expect(result).toEqual({ costUsd: 1_000 * rawPrice('gpt-5', 'input_cost_per_token'), costSource: 'calculated' });
  });
});
