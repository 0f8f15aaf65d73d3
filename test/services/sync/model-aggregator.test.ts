import type { ModelInfo } from '../../../sdk/src/kinds/sync';
import { ModelAggregator, type SourceStanding } from '../../../kernel/services/sync';
import type { ModelPricing } from '../../../kernel/services/storage';
import { modelPricingRow } from '../../fixtures/storage/model-pricing-row';

const LITELLM: SourceStanding = { source: 'litellm', official: false, priority: 10 };
const OPENROUTER: SourceStanding = { source: 'openrouter', official: false, priority: 20 };
const ANTHROPIC: SourceStanding = { source: 'anthropic', official: true, priority: 10 };
const NOW = 1_800_000_000_000;

function stored(overrides: Partial<ModelPricing>): ModelPricing {
  return modelPricingRow({ provider: 'anthropic', model: 'claude-x-1', source: 'snapshot', ...overrides });
}

const info = (model: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({ provider: 'anthropic', model, ...extra });

describe('ModelAggregator', () => {
  const aggregator = new ModelAggregator([LITELLM, OPENROUTER, ANTHROPIC]);

  it('takes names and context windows from the official source, prices from the pricing source, and says where each came from', () => {
    const { rows } = aggregator.merge(
      [],
      [
        { standing: LITELLM, models: [info('claude-x-1', { displayName: 'lite name', contextWindow: 100_000, prices: { input: 1e-6, output: 5e-6 } })] },
        { standing: ANTHROPIC, models: [info('claude-x-1', { displayName: 'Claude X 1', contextWindow: 200_000, prices: { input: 9e-6 } })] },
      ],
      NOW,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        provider: 'anthropic',
        model: 'claude-x-1',
        displayName: 'Claude X 1',
        contextWindow: 200_000,
        inputPrice: 9e-6, // both are asked for prices by priority: a tie (10), then by name
        outputPrice: 5e-6,
        source: 'anthropic',
        provenance: { displayName: 'anthropic', contextWindow: 'anthropic', inputPrice: 'anthropic', outputPrice: 'litellm' },
        updatedAt: NOW,
      }),
    ]);
  });

  it('prefers the lower priority among pricing sources, falling back field by field', () => {
    const { rows } = aggregator.merge(
      [],
      [
        { standing: OPENROUTER, models: [info('claude-x-1', { prices: { input: 2e-6, output: 8e-6, cacheRead: 2e-7 } })] },
        { standing: LITELLM, models: [info('claude-x-1', { prices: { input: 1e-6, output: 5e-6 } })] },
      ],
      NOW,
    );
    expect(rows[0]).toMatchObject({ inputPrice: 1e-6, outputPrice: 5e-6, cacheReadPrice: 2e-7, source: 'litellm', provenance: { inputPrice: 'litellm', cacheReadPrice: 'openrouter' } });
  });

  it('never replaces a known value with an absent one, and lets a source replace its own older value', () => {
    const old = stored({ inputPrice: 1e-6, outputPrice: 5e-6, cacheWrite1hPrice: 2e-6, source: 'litellm', provenance: { inputPrice: 'litellm', outputPrice: 'litellm', cacheWrite1hPrice: 'snapshot' } });
    const { rows } = aggregator.merge([old], [{ standing: LITELLM, models: [info('claude-x-1', { prices: { input: 1.5e-6 } })] }], NOW);
    expect(rows[0]).toMatchObject({ inputPrice: 1.5e-6, outputPrice: 5e-6, cacheWrite1hPrice: 2e-6, provenance: { inputPrice: 'litellm', outputPrice: 'litellm', cacheWrite1hPrice: 'snapshot' } });
  });

  it('ranks the snapshot below every source and a removed source below the installed ones', () => {
    const old = stored({ inputPrice: 1e-6, outputPrice: 1e-6, source: 'gone', provenance: { inputPrice: 'gone', outputPrice: 'snapshot' } });
    const { rows } = aggregator.merge([old], [{ standing: OPENROUTER, models: [info('claude-x-1', { prices: { input: 3e-6, output: 4e-6 } })] }], NOW);
    expect(rows[0]).toMatchObject({ inputPrice: 3e-6, outputPrice: 4e-6, provenance: { inputPrice: 'openrouter', outputPrice: 'openrouter' } });
  });

  it('treats spellings the cost engine equates as one model, and writes every spelling', () => {
    const { rows, models } = aggregator.merge(
      [stored({ provider: 'gemini', model: 'gemini/gemini-9-pro', inputPrice: 1e-6, outputPrice: 2e-6, provenance: { inputPrice: 'snapshot', outputPrice: 'snapshot' } })],
      [{ standing: { source: 'google', official: true, priority: 10 }, models: [{ provider: 'gemini', model: 'gemini-9.pro'.replace('.', '-'), contextWindow: 1_000_000 }] }],
      NOW,
    );
    expect(models).toBe(1);
    expect(rows.map((row) => [row.model, row.contextWindow, row.inputPrice, row.source]).sort()).toEqual([
      ['gemini-9-pro', 1_000_000, 1e-6, 'google'],
      ['gemini/gemini-9-pro', 1_000_000, 1e-6, 'google'],
    ]);
  });

  it('leaves out rows that would not change', () => {
    const first = aggregator.merge([], [{ standing: LITELLM, models: [info('claude-x-1', { prices: { input: 1e-6, output: 2e-6 } })] }], NOW).rows[0]!;
    const again = aggregator.merge([stored({ ...first, capabilities: [], displayName: null, contextWindow: null, maxOutputTokens: null, provenance: first.provenance!, source: first.source, updatedAt: NOW } as Partial<ModelPricing>)], [{ standing: LITELLM, models: [info('claude-x-1', { prices: { input: 1e-6, output: 2e-6 } })] }], NOW + 1);
    expect(again).toEqual({ rows: [], models: 1, unchanged: 1 });
  });
});
