import type { TokenTotals } from '../../services/storage';

/**
 * The token and cost fields every `--json` report prints, in the order `toContractTotals`
 * writes them. `inputTokens` is uncached input; `totalTokens` = input + output + cache write +
 * cache read (reasoning is part of output).
 */
export type ContractTotals = TokenTotals;

/** The contract's fields of `totals` in the contract's order, with `costUsd` as the report's mode prices it. */
export function toContractTotals(totals: TokenTotals, costUsd: number = totals.costUsd): ContractTotals {
  return {
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    cacheWriteTokens: totals.cacheWriteTokens,
    cacheReadTokens: totals.cacheReadTokens,
    reasoningTokens: totals.reasoningTokens,
    totalTokens: totals.totalTokens,
    costUsd,
  };
}

export function emptyContractTotals(): ContractTotals {
  return { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, totalTokens: 0, costUsd: 0 };
}

/** Most expensive first, then by name: the order of every per-agent and per-model list. */
export function byCostThenName<T extends { costUsd: number }>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => b.costUsd - a.costUsd || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}
