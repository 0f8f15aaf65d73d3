import { renderTable, type CliIo } from '../output';
import type { ContractTotals } from './contract-totals';
import { formatTokens, formatUsd } from './report-format';

/** The usage columns every cost table ends with. */
export const USAGE_HEAD = ['Input', 'Output', 'Cache write', 'Cache read', 'Total tokens', 'Cost'];

export function usageCells(totals: ContractTotals): string[] {
  return [
    formatTokens(totals.inputTokens),
    formatTokens(totals.outputTokens),
    formatTokens(totals.cacheWriteTokens),
    formatTokens(totals.cacheReadTokens),
    formatTokens(totals.totalTokens),
    formatUsd(totals.costUsd),
  ];
}

/**
 * A table whose rows end with the usage columns and whose last row is the totals: leading
 * columns left-aligned, figures right-aligned.
 */
export function renderUsageTable(
  io: CliIo,
  lead: string[],
  rows: Array<{ cells: string[]; totals: ContractTotals }>,
  totals: ContractTotals,
  totalsLead: string[] = ['Total', ...lead.slice(1).map(() => '')],
): string {
  return renderTable(
    io,
    [...lead, ...USAGE_HEAD],
    [...rows.map((row) => [...row.cells, ...usageCells(row.totals)]), [...totalsLead, ...usageCells(totals)]],
    { align: [...lead.map(() => 'left' as const), ...USAGE_HEAD.map(() => 'right' as const)] },
  );
}

/** One line under a table, e.g. what range and zone it covers. */
export function scopeLine(parts: Array<string | null | undefined | false>): string {
  return parts.filter((part): part is string => typeof part === 'string' && part.length > 0).join(' · ');
}
