import type { Database } from '../../../../kernel/services/storage';
import { ModelRepository } from '../../../../kernel/services/storage/repositories';
import type { ModelPricingInput } from '../../../../kernel/services/storage/types';
import { describeBackends } from '../backends';
import { captureLogger } from './capture-logger';

const T = Date.UTC(2025, 5, 1);
const sonnet: ModelPricingInput = {
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  displayName: 'Claude Sonnet 4.5',
  inputPrice: 3e-6,
  outputPrice: 15e-6,
  cacheWritePrice: 3.75e-6,
  cacheWrite1hPrice: 6e-6,
  cacheReadPrice: 0.3e-6,
  inputPriceAbove200k: 6e-6,
  outputPriceAbove200k: 22.5e-6,
  contextWindow: 1_000_000,
  maxOutputTokens: 64_000,
  capabilities: ['tools', 'vision'],
  source: 'litellm',
  provenance: { inputPrice: 'litellm' },
  updatedAt: T,
};

describeBackends('ModelRepository', (backend) => {
  let db: Database;
  let models: ModelRepository;

  beforeAll(async () => {
    db = await backend.connect();
    models = new ModelRepository(db, { now: () => T + 5 });
  });
  beforeEach(() => backend.reset());

  it('saves a model and reads it back; unknown prices stay null, never 0', async () => {
    const saved = await models.save(sonnet);
    expect(saved).toEqual({
      id: expect.any(Number),
      ...sonnet,
      cacheWritePriceAbove200k: null,
      cacheReadPriceAbove200k: null,
    });
    expect(await models.findById(saved.id)).toEqual(saved);
    const bare = await models.save({ provider: 'openai', model: 'gpt-5', source: 'snapshot' });
    expect(bare).toMatchObject({ inputPrice: null, outputPrice: null, contextWindow: null, capabilities: [], provenance: {}, updatedAt: T + 5 });
  });

  it('is unique on provider + model: saving again replaces, keeping the id', async () => {
    const first = await models.save(sonnet);
    const second = await models.save({ ...sonnet, inputPrice: 4e-6, source: 'openrouter' });
    expect(second.id).toBe(first.id);
    expect(await models.findAll()).toEqual([expect.objectContaining({ inputPrice: 4e-6, source: 'openrouter' })]);
  });

  it('finds by name, at one provider or the most recently updated of several', async () => {
    await models.save({ ...sonnet, provider: 'bedrock', updatedAt: T - 1_000 });
    await models.save(sonnet);
    expect((await models.findByName('claude-sonnet-4-5'))?.provider).toBe('anthropic');
    expect((await models.findByName('claude-sonnet-4-5', 'bedrock'))?.provider).toBe('bedrock');
    expect(await models.findByName('claude-sonnet-4-5', 'vertex')).toBeNull();
    expect(await models.findByName('gpt-9')).toBeNull();
  });

  it('upserts many in one transaction: duplicates keep the last entry, more rows than one statement holds', async () => {
    const many = Array.from({ length: 1_000 }, (_, index) => ({ provider: `p${index % 3}`, model: `m${index}`, source: 'snapshot', inputPrice: index * 1e-9 }));
    expect(await models.upsertMany([...many, { ...sonnet, inputPrice: 1e-6 }, { ...sonnet, inputPrice: 2e-6 }])).toBe(1_001);
    expect(await models.upsertMany(many)).toBe(1_000);
    expect((await models.findAll()).length).toBe(1_001);
    expect((await models.findByName('claude-sonnet-4-5'))?.inputPrice).toBe(2e-6);
    expect((await models.findAll({ limit: 2 })).map((m) => `${m.provider}/${m.model}`)).toEqual(['anthropic/claude-sonnet-4-5', 'p0/m0']);
    expect(await models.upsertMany([])).toBe(0);
  });

  it('writes nothing of a batch with one invalid model (E1008 names it)', async () => {
    const batch = [sonnet, { provider: 'openai', model: 'gpt-5', source: 'snapshot', outputPrice: -1 }];
    await expect(models.upsertMany(batch)).rejects.toMatchObject({ code: 'E1008', message: expect.stringContaining('openai/gpt-5') });
    expect(await models.findAll()).toEqual([]);
  });

  it('deletes, and survives corrupted capabilities and provenance columns', async () => {
    const { logger, lines } = captureLogger();
    const logged = new ModelRepository(db, { logger });
    const saved = await logged.save(sonnet);
    await db.knex('models').update({ capabilities: '"tools"', provenance: '{"inputPrice": 3}' });
    expect(await logged.findById(saved.id)).toMatchObject({ capabilities: [], provenance: {} });
    expect(lines).toHaveLength(2);
    expect(await logged.delete(saved.id)).toBe(true);
    expect(await logged.delete(saved.id)).toBe(false);
  });
});
