import {
  LONG_CONTEXT_THRESHOLD,
  PricingCatalog,
  calculateCost,
  priceUsage,
  tieredCost,
  type MatchedPrices,
  type PricedUsage,
} from '../../../kernel/services/pricing';
import { rawEntry, rawPrice } from './snapshot-entries';

// Costs are compared to 1e-12 USD: exact to far below a cent, without depending on the order
// the engine sums doubles in.
function expectUsd(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(1e-12);
}

const catalog = PricingCatalog.fromSnapshot();

function pricesOf(model: string): MatchedPrices {
  const prices = catalog.lookup(model);
  if (prices === null) throw new Error(`the catalog does not price "${model}"`);
  return prices;
}

function usage(model: string, tokens: Partial<PricedUsage>): PricedUsage {
  return { model, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, ...tokens };
}

describe('calculateCost on real snapshot models', () => {
  const sonnet = 'claude-sonnet-4-5';

  it('uses the snapshot figures these expectations were written from', () => {
    expect([
      rawPrice(sonnet, 'input_cost_per_token'),
      rawPrice(sonnet, 'output_cost_per_token'),
      rawPrice(sonnet, 'cache_creation_input_token_cost'),
      rawPrice(sonnet, 'cache_creation_input_token_cost_above_1hr'),
      rawPrice(sonnet, 'cache_read_input_token_cost'),
      rawPrice(sonnet, 'input_cost_per_token_above_200k_tokens'),
      rawPrice(sonnet, 'output_cost_per_token_above_200k_tokens'),
      rawPrice(sonnet, 'cache_creation_input_token_cost_above_200k_tokens'),
      rawPrice(sonnet, 'cache_creation_input_token_cost_above_1hr_above_200k_tokens'),
      rawPrice(sonnet, 'cache_read_input_token_cost_above_200k_tokens'),
    ]).toEqual([3e-6, 1.5e-5, 3.75e-6, 6e-6, 3e-7, 6e-6, 2.25e-5, 7.5e-6, 1.2e-5, 6e-7]);
  });

  it('prices each kind of token at its own price (claude-sonnet-4-5)', () => {
    const prices = pricesOf(sonnet);
    expectUsd(calculateCost(usage(sonnet, { inputTokens: 1_000 }), prices), 1_000 * 3e-6); // 0.003
    expectUsd(calculateCost(usage(sonnet, { outputTokens: 500 }), prices), 500 * 1.5e-5); // 0.0075
    expectUsd(calculateCost(usage(sonnet, { cacheWriteTokens: 1_200 }), prices), 1_200 * 3.75e-6); // 0.0045
    expectUsd(calculateCost(usage(sonnet, { cacheWriteTokens: 800, cacheWrite1hTokens: 800 }), prices), 800 * 6e-6); // 0.0048
    expectUsd(calculateCost(usage(sonnet, { cacheReadTokens: 10_000 }), prices), 10_000 * 3e-7); // 0.003
    const all = usage(sonnet, { inputTokens: 1_000, outputTokens: 500, cacheWriteTokens: 2_000, cacheWrite1hTokens: 800, cacheReadTokens: 10_000 });
    expectUsd(calculateCost(all, prices), 0.0228);
  });

  it('does not price reasoning tokens twice (they are part of output)', () => {
    const prices = pricesOf('gpt-5');
    const withReasoning = { ...usage('gpt-5', { outputTokens: 800 }), reasoningTokens: 500 } as PricedUsage;
    expectUsd(calculateCost(withReasoning, prices), 800 * rawPrice('gpt-5', 'output_cost_per_token'));
  });

  it('applies the >200k tier per kind of token, marginally above 200,000 (as ccusage)', () => {
    const prices = pricesOf(sonnet);
    expect(LONG_CONTEXT_THRESHOLD).toBe(200_000);
    expectUsd(calculateCost(usage(sonnet, { inputTokens: 200_000 }), prices), 200_000 * 3e-6); // 0.6, no tier at exactly 200k
    expectUsd(calculateCost(usage(sonnet, { inputTokens: 200_001 }), prices), 200_000 * 3e-6 + 1 * 6e-6);
    expectUsd(calculateCost(usage(sonnet, { inputTokens: 300_000 }), prices), 0.6 + 100_000 * 6e-6); // 1.2
    expectUsd(calculateCost(usage(sonnet, { outputTokens: 250_000 }), prices), 200_000 * 1.5e-5 + 50_000 * 2.25e-5); // 4.125
    expectUsd(calculateCost(usage(sonnet, { cacheWriteTokens: 210_000 }), prices), 200_000 * 3.75e-6 + 10_000 * 7.5e-6); // 0.825
    expectUsd(
      calculateCost(usage(sonnet, { cacheWriteTokens: 201_000, cacheWrite1hTokens: 201_000 }), prices),
      200_000 * 6e-6 + 1_000 * 1.2e-5, // 1.212
    );
    expectUsd(calculateCost(usage(sonnet, { cacheReadTokens: 1_000_000 }), prices), 200_000 * 3e-7 + 800_000 * 6e-7); // 0.54
    // One kind over the threshold does not move the others to the tier.
    expectUsd(calculateCost(usage(sonnet, { inputTokens: 300_000, outputTokens: 10, cacheReadTokens: 100 }), prices), 1.2 + 10 * 1.5e-5 + 100 * 3e-7);
  });

  it('splits 5-minute and 1-hour writes before tiering each (5m = all writes − 1h writes)', () => {
    const prices = pricesOf(sonnet);
    const mixed = usage(sonnet, { cacheWriteTokens: 350_000, cacheWrite1hTokens: 150_000 });
    // 200,000 five-minute writes: all base; 150,000 one-hour writes: all base.
    expectUsd(calculateCost(mixed, prices), 200_000 * 3.75e-6 + 150_000 * 6e-6);
  });

  it('derives the 1-hour >200k price as 2 × the input >200k price when the model lists none (claude-sonnet-4-20250514)', () => {
    const model = 'claude-sonnet-4-20250514';
    expect(rawEntry(model)).not.toHaveProperty('cache_creation_input_token_cost_above_1hr_above_200k_tokens');
    const inputAbove = rawPrice(model, 'input_cost_per_token_above_200k_tokens'); // 6e-6
    const oneHour = rawPrice(model, 'cache_creation_input_token_cost_above_1hr'); // 6e-6
    expectUsd(calculateCost(usage(model, { cacheWriteTokens: 250_000, cacheWrite1hTokens: 250_000 }), pricesOf(model)), 200_000 * oneHour + 50_000 * 2 * inputAbove);
  });

  it('defaults missing cache prices: write 1.25 × input, 1-hour write 2 × input, read 0.1 × input (gemini-2.5-computer-use-preview-10-2025)', () => {
    const model = 'gemini-2.5-computer-use-preview-10-2025';
    for (const field of ['cache_creation_input_token_cost', 'cache_creation_input_token_cost_above_1hr', 'cache_read_input_token_cost']) {
      expect(rawEntry(model)).not.toHaveProperty(field);
    }
    const input = rawPrice(model, 'input_cost_per_token'); // 1.25e-6
    expect(input).toBe(1.25e-6);
    const prices = pricesOf(model);
    // Below 200k: this model has an input >200k price, so 1-hour writes above it would tier (2 × that).
    expectUsd(calculateCost(usage(model, { cacheWriteTokens: 100_000 }), prices), 100_000 * 1.5625e-6); // 0.15625
    expectUsd(calculateCost(usage(model, { cacheWriteTokens: 100_000, cacheWrite1hTokens: 100_000 }), prices), 100_000 * 2.5e-6); // 0.25
    expectUsd(calculateCost(usage(model, { cacheReadTokens: 100_000 }), prices), 100_000 * 1.25e-7); // 0.0125
  });

  it('keeps a cache kind flat when only input/output have a >200k price, but tiers a default-priced write when the model lists its >200k price (gemini-2.5-pro)', () => {
    const model = 'gemini-2.5-pro';
    expect(rawEntry(model)).not.toHaveProperty('cache_creation_input_token_cost');
    const input = rawPrice(model, 'input_cost_per_token'); // 1.25e-6
    const writeAbove = rawPrice(model, 'cache_creation_input_token_cost_above_200k_tokens'); // 2.5e-7
    expectUsd(calculateCost(usage(model, { cacheWriteTokens: 300_000 }), pricesOf(model)), 200_000 * 1.25 * input + 100_000 * writeAbove);
    const flat = 'gemini-2.5-computer-use-preview-10-2025';
    expectUsd(calculateCost(usage(flat, { cacheReadTokens: 300_000 }), pricesOf(flat)), 300_000 * 0.1 * rawPrice(flat, 'input_cost_per_token'));
  });

  it('multiplies a fast-mode call by the model\'s fast multiplier (claude-opus-4-6 ×6, claude-opus-5 ×2)', () => {
    const fast6 = 'claude-opus-4-6';
    expect(rawEntry(fast6)).toMatchObject({ provider_specific_entry: { fast: 6 }, input_cost_per_token: 5e-6, output_cost_per_token: 2.5e-5 });
    const call = usage(fast6, { inputTokens: 1_000, outputTokens: 100 });
    expectUsd(calculateCost(call, pricesOf(fast6)), 0.0075);
    expectUsd(calculateCost({ ...call, speed: 'fast' }, pricesOf(fast6)), 0.0075 * 6); // 0.045
    expectUsd(calculateCost({ ...call, speed: 'standard' }, pricesOf(fast6)), 0.0075);
    expectUsd(calculateCost({ ...call, flags: ['fast'] }, pricesOf(fast6)), 0.045); // as the Claude adapter marks it
    const fast2 = 'claude-opus-5';
    expect(rawEntry(fast2)).toMatchObject({ provider_specific_entry: { fast: 2 } });
    expectUsd(calculateCost({ ...usage(fast2, { inputTokens: 1_000, outputTokens: 100 }), speed: 'fast' }, pricesOf(fast2)), 0.0075 * 2);
  });

  it('prices fast mode like standard for a model without a fast multiplier (claude-sonnet-4-5)', () => {
    expect(rawEntry(sonnet)).not.toHaveProperty('provider_specific_entry');
    expect(pricesOf(sonnet).fastMultiplier).toBeNull();
    const call = usage(sonnet, { inputTokens: 1_000, outputTokens: 500 });
    expect(calculateCost({ ...call, speed: 'fast' }, pricesOf(sonnet))).toBe(calculateCost(call, pricesOf(sonnet)));
  });

  it('treats missing, negative and non-finite token counts as 0, and caps 1-hour writes at all writes', () => {
    const prices = pricesOf(sonnet);
    expect(calculateCost(usage(sonnet, { inputTokens: -5, outputTokens: Number.NaN, cacheReadTokens: Number.POSITIVE_INFINITY }), prices)).toBe(0);
    expectUsd(calculateCost(usage(sonnet, { cacheWriteTokens: 100, cacheWrite1hTokens: 500 }), prices), 100 * 6e-6);
  });
});

describe('tieredCost', () => {
  it('is base × tokens up to the threshold, then base for 200,000 and the tier price for the rest; flat without a tier price', () => {
    expect(tieredCost(0, 1, 2)).toBe(0);
    expect(tieredCost(200_000, 1, 2)).toBe(200_000);
    expect(tieredCost(200_001, 1, 2)).toBe(200_002);
    expect(tieredCost(300_000, 1, null)).toBe(300_000);
  });
});

describe('priceUsage modes', () => {
  const model = 'claude-sonnet-4-5';
  const prices = pricesOf(model);
  const call = usage(model, { inputTokens: 1_000, outputTokens: 500 }); // calculated 0.0105
  const reported = { ...call, costUsd: 0.5 };

  it('auto: the agent\'s reported cost when present (even 0), else calculated', () => {
    expect(priceUsage(reported, prices, 'auto')).toEqual({ costUsd: 0.5, costSource: 'reported' });
    expect(priceUsage({ ...call, costUsd: 0 }, prices, 'auto')).toEqual({ costUsd: 0, costSource: 'reported' });
    const calculated = priceUsage(call, prices, 'auto');
    expect(calculated.costSource).toBe('calculated');
    expectUsd(calculated.costUsd, 0.0105);
  });

  it('calculate: always from tokens, ignoring a reported cost', () => {
    const result = priceUsage(reported, prices, 'calculate');
    expect(result.costSource).toBe('calculated');
    expectUsd(result.costUsd, 0.0105);
  });

  it('display: only the reported cost, $0 when there is none', () => {
    expect(priceUsage(reported, prices, 'display')).toEqual({ costUsd: 0.5, costSource: 'reported' });
    expect(priceUsage(call, prices, 'display')).toEqual({ costUsd: 0, costSource: 'reported' });
  });

  it('treats a negative or non-finite reported cost as not reported', () => {
    for (const costUsd of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = priceUsage({ ...call, costUsd }, prices, 'auto');
      expect(result.costSource).toBe('calculated');
      expectUsd(result.costUsd, 0.0105);
    }
  });
});

describe('priceUsage of an unknown model', () => {
  const mystery = usage('mystery-model-9', { inputTokens: 1_000, outputTokens: 10 });

  it('costs $0 and names the model when it must be calculated', () => {
    expect(catalog.lookup('mystery-model-9')).toBeNull();
    expect(priceUsage(mystery, null, 'calculate')).toEqual({ costUsd: 0, costSource: 'calculated', unknownModel: 'mystery-model-9' });
    expect(priceUsage(mystery, null, 'auto')).toEqual({ costUsd: 0, costSource: 'calculated', unknownModel: 'mystery-model-9' });
  });

  it('uses a reported cost in auto and display without a warning', () => {
    expect(priceUsage({ ...mystery, costUsd: 0.25 }, null, 'auto')).toEqual({ costUsd: 0.25, costSource: 'reported' });
    expect(priceUsage(mystery, null, 'display')).toEqual({ costUsd: 0, costSource: 'reported' });
  });

  it('does not warn about a call without tokens (Claude\'s <synthetic> error entries)', () => {
    expect(priceUsage(usage('<synthetic>', {}), null, 'calculate')).toEqual({ costUsd: 0, costSource: 'calculated' });
  });
});
