import { ErrorCodes, PricingError } from '../../../kernel/core/errors';
import {
  PricingCatalog,
  SNAPSHOT_DATE,
  SNAPSHOT_SOURCE,
  SNAPSHOT_UPDATED_AT,
  canonicalModelName,
  parseLiteLlmPriceList,
  splitDateSuffix,
} from '../../../kernel/services/pricing';
import type { ModelPricing } from '../../../kernel/services/storage/types';
import { modelPricingRow } from '../../fixtures/storage/model-pricing-row';
import { rawEntry, rawPrice, rawSnapshot, snapshotWithout, type RawEntry } from './snapshot-entries';

const catalog = PricingCatalog.fromSnapshot();
const origin = { source: SNAPSHOT_SOURCE, updatedAt: SNAPSHOT_UPDATED_AT, inSnapshot: true };

function catalogOf(list: Record<string, RawEntry>): PricingCatalog {
  return PricingCatalog.fromPriceList(parseLiteLlmPriceList(list, origin));
}

function matched(found: ReturnType<PricingCatalog['lookup']>): { matchedAs: string; matchedBy: string; provider: string } | null {
  return found === null ? null : { matchedAs: found.matchedAs, matchedBy: found.matchedBy, provider: found.provider };
}

/** A `models` row as a sync provider would store it: only the given prices known. */
function storeRow(row: Partial<ModelPricing> & Pick<ModelPricing, 'provider' | 'model' | 'source'>): ModelPricing {
  return modelPricingRow({ updatedAt: Date.UTC(2026, 7, 1), ...row });
}

describe('PricingCatalog.fromSnapshot', () => {
  it('holds every snapshot entry with input and output prices, and lists the others with the reason', () => {
    expect(Object.keys(rawSnapshot())).toHaveLength(218);
    expect(catalog.size).toBe(215);
    expect(catalog.skipped).toEqual([
      { model: 'gpt-image-1', reason: 'no output_cost_per_token' },
      { model: 'gpt-image-1-mini', reason: 'no output_cost_per_token' },
      { model: 'gpt-realtime-whisper', reason: 'no input_cost_per_token or output_cost_per_token' },
    ]);
  });

  it('records the snapshot date (July 2026) on the catalog and on every price', () => {
    expect(SNAPSHOT_DATE).toBe('2026-07');
    expect(catalog.snapshotDate).toBe('2026-07');
    expect(new Date(SNAPSHOT_UPDATED_AT).toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(catalog.model('anthropic', 'claude-sonnet-4-5')).toMatchObject({ source: 'snapshot', updatedAt: SNAPSHOT_UPDATED_AT, inSnapshot: true });
  });

  it('keeps the prices, context window, fast multiplier and capabilities pricing needs', () => {
    expect(catalog.model('anthropic', 'claude-opus-4-6')).toMatchObject({
      inputPrice: rawPrice('claude-opus-4-6', 'input_cost_per_token'),
      outputPrice: rawPrice('claude-opus-4-6', 'output_cost_per_token'),
      cacheWritePrice: rawPrice('claude-opus-4-6', 'cache_creation_input_token_cost'),
      cacheWrite1hPrice: rawPrice('claude-opus-4-6', 'cache_creation_input_token_cost_above_1hr'),
      cacheReadPrice: rawPrice('claude-opus-4-6', 'cache_read_input_token_cost'),
      inputPriceAbove200k: null,
      fastMultiplier: 6,
      contextWindow: rawPrice('claude-opus-4-6', 'max_input_tokens'),
      maxOutputTokens: rawPrice('claude-opus-4-6', 'max_output_tokens'),
      capabilities: expect.arrayContaining(['prompt_caching', 'vision']),
    });
  });

  it('is built once per process', () => {
    expect(PricingCatalog.fromSnapshot()).toBe(catalog);
  });
});

describe('parseLiteLlmPriceList', () => {
  it('skips an entry whose price is not a non-negative number, naming the field', () => {
    const list = parseLiteLlmPriceList(
      {
        good: { litellm_provider: 'x', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
        negative: { litellm_provider: 'x', input_cost_per_token: -1, output_cost_per_token: 2e-6 },
        text: { litellm_provider: 'x', input_cost_per_token: '0.1', output_cost_per_token: 2e-6 },
        'no-provider': { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
        sample_spec: { litellm_provider: 'x' },
      },
      origin,
    );
    expect(list.models.map((model) => model.model)).toEqual(['good']);
    expect(list.skipped.map((skipped) => [skipped.model, skipped.reason.split(':')[0]])).toEqual([
      ['negative', 'input_cost_per_token'],
      ['text', 'input_cost_per_token'],
      ['no-provider', 'litellm_provider'],
    ]);
  });

  it('refuses a list that is not an object of models (E8001)', () => {
    for (const data of [[], null, 'prices']) {
      let caught: unknown;
      try {
        parseLiteLlmPriceList(data, origin);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PricingError);
      expect((caught as PricingError).code).toBe(ErrorCodes.PRICING_SNAPSHOT_INVALID);
    }
  });
});

describe('canonicalModelName and splitDateSuffix', () => {
  it('lower-cases, drops the provider path and Vertex\'s @, and turns dotted versions into dashes', () => {
    expect(canonicalModelName('openrouter/anthropic/Claude-Sonnet-4.5')).toBe('claude-sonnet-4-5');
    expect(canonicalModelName('claude-sonnet-4-5@20250929')).toBe('claude-sonnet-4-5-20250929');
    expect(canonicalModelName('gemini-2.5-pro')).toBe('gemini-2-5-pro');
    expect(canonicalModelName('us.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('splits only an 8-digit date at the end', () => {
    expect(splitDateSuffix('claude-sonnet-4-20250514')).toEqual({ base: 'claude-sonnet-4', date: '20250514' });
    expect(splitDateSuffix('gpt-4-0613')).toBeNull();
    expect(splitDateSuffix('claude-sonnet-4-5-20250929-v1:0')).toBeNull();
    expect(splitDateSuffix('model-12345678')).toBeNull();
  });
});

describe('PricingCatalog.lookup on the snapshot', () => {
  it('matches exactly first', () => {
    expect(matched(catalog.lookup('claude-sonnet-4-5'))).toEqual({ matchedAs: 'claude-sonnet-4-5', matchedBy: 'exact', provider: 'anthropic' });
    expect(matched(catalog.lookup('gpt-5.1-codex'))).toEqual({ matchedAs: 'gpt-5.1-codex', matchedBy: 'exact', provider: 'openai' });
  });

  it('strips provider prefixes: anthropic/, openai/, openrouter/<vendor>/, bedrock/', () => {
    expect(catalog.lookup('anthropic/claude-sonnet-4-5')?.matchedAs).toBe('claude-sonnet-4-5');
    expect(catalog.lookup('openai/gpt-5')?.matchedAs).toBe('gpt-5');
    expect(catalog.lookup('openrouter/anthropic/claude-opus-4-6')?.matchedAs).toBe('claude-opus-4-6');
    expect(matched(catalog.lookup('bedrock/claude-sonnet-4-5-20250929-v1:0'))).toEqual({
      matchedAs: 'claude-sonnet-4-5-20250929-v1:0',
      matchedBy: 'normalized',
      provider: 'bedrock',
    });
  });

  it('reads dotted versions as dashed and the other way round', () => {
    expect(matched(catalog.lookup('claude-sonnet-4.5'))).toEqual({ matchedAs: 'claude-sonnet-4-5', matchedBy: 'normalized', provider: 'anthropic' });
    expect(catalog.lookup('claude-opus-4.6')?.matchedAs).toBe('claude-opus-4-6');
    expect(catalog.lookup('openrouter/anthropic/claude-sonnet-4.5')?.matchedAs).toBe('claude-sonnet-4-5');
    expect(catalog.lookup('gemini-2-5-pro')?.matchedAs).toBe('gemini-2.5-pro');
    expect(catalog.lookup('Claude-Sonnet-4-5')?.matchedAs).toBe('claude-sonnet-4-5');
  });

  it('makes an 8-digit date suffix optional both ways', () => {
    expect(catalog.lookup('claude-sonnet-4-5-20250929')?.matchedBy).toBe('exact');
    expect(matched(catalog.lookup('claude-sonnet-4'))).toEqual({ matchedAs: 'claude-sonnet-4-20250514', matchedBy: 'date-suffix', provider: 'anthropic' });
    expect(catalog.lookup('claude-3-haiku')?.matchedAs).toBe('claude-3-haiku-20240307');
    expect(matched(catalog.lookup('claude-opus-4-8-20260601'))).toEqual({ matchedAs: 'claude-opus-4-8', matchedBy: 'date-suffix', provider: 'anthropic' });
    expect(catalog.lookup('claude-sonnet-4-5@20250929')?.matchedAs).toBe('claude-sonnet-4-5-20250929');
  });

  it('picks the newest release for an undated name with several dated ones', () => {
    const older = { ...rawEntry('claude-sonnet-4-20250514'), input_cost_per_token: 1e-6 };
    const dated = catalogOf({ 'claude-sonnet-4-20250101': older, 'claude-sonnet-4-20250514': rawEntry('claude-sonnet-4-20250514') });
    expect(dated.lookup('claude-sonnet-4')?.matchedAs).toBe('claude-sonnet-4-20250514');
  });

  it('never matches by substring or picks a regional/platform variant', () => {
    for (const name of ['sonnet-4-5', 'claude-sonnet', 'claude-sonnet-4-5-20250929-v1', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'gpt-5-mini-2', 'claude', '', '   ']) {
      expect([name, catalog.lookup(name)]).toEqual([name, null]);
    }
    // The snapshot without Anthropic's own claude-sonnet-4-5 entries: only the Bedrock id contains the name.
    const bedrockOnly = catalogOf(snapshotWithout((model, entry) => model.startsWith('claude-sonnet-4-5') && entry.litellm_provider === 'anthropic'));
    expect(bedrockOnly.model('bedrock', 'claude-sonnet-4-5-20250929-v1:0')).toBeDefined();
    expect(bedrockOnly.lookup('claude-sonnet-4-5')).toBeNull();
    expect(bedrockOnly.lookup('claude-sonnet-4-5-20250929')).toBeNull();
    expect(bedrockOnly.lookup('claude-sonnet-4.5')).toBeNull();
  });

  it('caches answers, misses included', () => {
    const fresh = catalogOf(rawSnapshot());
    const first = fresh.lookup('claude-sonnet-4.5');
    expect(fresh.lookup('claude-sonnet-4.5')).toBe(first);
    expect(fresh.lookup('nope')).toBeNull();
    expect(fresh.lookup('nope')).toBeNull();
  });

  it('answers the same whatever order the price list was in', () => {
    const reversed = catalogOf(Object.fromEntries(Object.entries(rawSnapshot()).reverse()));
    for (const name of ['claude-sonnet-4', 'claude-sonnet-4.5', 'gemini-2-5-pro', 'bedrock/claude-sonnet-4-5-20250929-v1:0', 'gpt-5']) {
      expect([name, matched(reversed.lookup(name))]).toEqual([name, matched(catalog.lookup(name))]);
    }
  });
});

describe('PricingCatalog.withStoreModels', () => {
  it('overrides the snapshot price by price; a price the row lacks keeps the snapshot\'s', () => {
    const layered = catalog.withStoreModels([storeRow({ provider: 'anthropic', model: 'claude-sonnet-4-5', source: 'litellm', inputPrice: 2.5e-6, cacheReadPrice: 2.5e-7 })]);
    const prices = layered.lookup('claude-sonnet-4-5');
    expect(prices).toMatchObject({
      inputPrice: 2.5e-6,
      cacheReadPrice: 2.5e-7,
      outputPrice: rawPrice('claude-sonnet-4-5', 'output_cost_per_token'),
      cacheWritePrice: rawPrice('claude-sonnet-4-5', 'cache_creation_input_token_cost'),
      inputPriceAbove200k: rawPrice('claude-sonnet-4-5', 'input_cost_per_token_above_200k_tokens'),
      cacheWrite1hPriceAbove200k: rawPrice('claude-sonnet-4-5', 'cache_creation_input_token_cost_above_1hr_above_200k_tokens'),
      source: 'litellm',
    });
    expect(layered.model('anthropic', 'claude-sonnet-4-5')?.provenance).toMatchObject({ inputPrice: 'litellm', cacheReadPrice: 'litellm', outputPrice: 'snapshot' });
    expect(catalog.lookup('claude-sonnet-4-5')?.inputPrice).toBe(3e-6); // the snapshot catalog is unchanged
  });

  it('ignores rows stored from a snapshot (maybe an older one)', () => {
    const layered = catalog.withStoreModels([storeRow({ provider: 'anthropic', model: 'claude-sonnet-4-5', source: 'snapshot', inputPrice: 1 })]);
    expect(layered.lookup('claude-sonnet-4-5')?.inputPrice).toBe(3e-6);
  });

  it('adds a store-only model, and skips one without input or output price', () => {
    const layered = catalog.withStoreModels([
      storeRow({ provider: 'openrouter', model: 'acme/coder-1', source: 'openrouter', inputPrice: 1e-6, outputPrice: 4e-6 }),
      storeRow({ provider: 'openrouter', model: 'acme/half-priced', source: 'openrouter', inputPrice: 1e-6 }),
    ]);
    expect(layered.size).toBe(catalog.size + 1);
    expect(matched(layered.lookup('coder-1'))).toEqual({ matchedAs: 'acme/coder-1', matchedBy: 'normalized', provider: 'openrouter' });
    expect(layered.lookup('acme/half-priced')).toBeNull();
    expect(layered.skipped.at(-1)).toEqual({ model: 'openrouter/acme/half-priced', reason: 'stored by openrouter without an input or output price' });
  });

  it('prefers, among equal names: the asked provider, a bare name, a snapshot model, then the newest prices', () => {
    const layered = catalog.withStoreModels([
      storeRow({ provider: 'openrouter', model: 'claude-sonnet-4-5', source: 'openrouter', inputPrice: 9e-6, outputPrice: 9e-6 }),
      storeRow({ provider: 'openrouter', model: 'anthropic/claude-sonnet-4.5', source: 'openrouter', inputPrice: 8e-6, outputPrice: 8e-6 }),
      storeRow({ provider: 'vendor-a', model: 'acme-9', source: 'a', inputPrice: 1e-6, outputPrice: 1e-6, updatedAt: 1 }),
      storeRow({ provider: 'vendor-b', model: 'acme-9', source: 'b', inputPrice: 2e-6, outputPrice: 2e-6, updatedAt: 2 }),
    ]);
    expect(layered.lookup('claude-sonnet-4-5')?.provider).toBe('anthropic'); // in the snapshot
    expect(layered.lookup('claude-sonnet-4-5', 'openrouter')?.inputPrice).toBe(9e-6);
    expect(layered.lookup('claude-sonnet-4.5')?.matchedAs).toBe('claude-sonnet-4-5'); // bare before routed
    expect(layered.lookup('acme-9')?.provider).toBe('vendor-b'); // newest prices
    expect(layered.lookup('acme-9', 'Vendor-A')?.provider).toBe('vendor-a');
  });
});
