import type { UsageTotals } from '../types';
import type { UsageSums } from './usage-totals-query';

/**
 * Costs are summed as doubles, in an order that differs between backends (and between the
 * rollups and raw records); rounding to a billionth of a dollar makes every path print the same.
 */
export function roundUsd(value: number): number {
  const rounded = Math.round(value * 1e9) / 1e9;
  return rounded === 0 ? 0 : rounded;
}

export function emptySums(): UsageSums {
  return { records: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, costUsd: 0 };
}

/** Adds `from` into `into`. */
export function addSums(into: UsageSums, from: UsageSums): void {
  into.records += from.records;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cacheWriteTokens += from.cacheWriteTokens;
  into.cacheReadTokens += from.cacheReadTokens;
  into.reasoningTokens += from.reasoningTokens;
  into.costUsd += from.costUsd;
}

/** The public totals of some sums: `totalTokens` added, cost rounded. */
export function toUsageTotals(sums: UsageSums): UsageTotals {
  return {
    inputTokens: sums.inputTokens,
    outputTokens: sums.outputTokens,
    cacheWriteTokens: sums.cacheWriteTokens,
    cacheReadTokens: sums.cacheReadTokens,
    reasoningTokens: sums.reasoningTokens,
    totalTokens: sums.inputTokens + sums.outputTokens + sums.cacheWriteTokens + sums.cacheReadTokens,
    costUsd: roundUsd(sums.costUsd),
    records: sums.records,
  };
}

/** Most expensive first, then by name, so equal costs list the same on every backend. */
export function byCostThenName<T extends { costUsd: number }>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.costUsd - a.costUsd || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}
