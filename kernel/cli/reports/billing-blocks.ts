import { emptyContractTotals, type ContractTotals } from './contract-totals';

/** Claude's billing window. */
export const BLOCK_DURATION_MS = 5 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

/** One model call as the block builder needs it. */
export interface BlockEntry {
  recordedAt: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costUsd: number;
  model: string;
}

/** A 5-hour billing block, or a gap of more than 5 hours between two of them. */
export interface BillingBlock {
  /** ISO start for a block, `gap-<ISO start>` for a gap (ccusage's ids). */
  id: string;
  startTime: number;
  /** Block: start + 5 h. Gap: the next entry. */
  endTime: number;
  /** The block's last entry; null for a gap. */
  actualEndTime: number | null;
  firstEntryAt: number | null;
  isActive: boolean;
  isGap: boolean;
  entries: number;
  totals: ContractTotals;
  /** In order of first use. */
  models: string[];
}

export interface BurnRate {
  tokensPerMinute: number;
  costPerHour: number;
}

export interface BlockProjection {
  totalTokens: number;
  costUsd: number;
  remainingMinutes: number;
}

const floorToUtcHour = (t: number): number => Math.floor(t / HOUR_MS) * HOUR_MS;

/**
 * Groups model calls into billing blocks the way ccusage@20.0.24 does (`identifySessionBlocks`):
 * a block starts at its first entry floored to the UTC hour and lasts 5 hours; an entry more
 * than 5 hours after the block's start, or more than 5 hours after the previous entry, starts a
 * new block, and a silence of more than 5 hours is listed as a gap from the last entry + 5 h to
 * the next entry. A block is active while its last entry is under 5 hours old and its 5 hours
 * have not run out. Entries must be added oldest first; memory holds one block at a time.
 */
export class BillingBlockBuilder {
  private readonly blocks: BillingBlock[] = [];
  private current: BillingBlock | null = null;
  private models = new Set<string>();

  add(entry: BlockEntry): void {
    const current = this.current;
    if (current !== null && current.actualEndTime !== null) {
      const sinceStart = entry.recordedAt - current.startTime;
      const sinceLast = entry.recordedAt - current.actualEndTime;
      if (sinceStart > BLOCK_DURATION_MS || sinceLast > BLOCK_DURATION_MS) {
        this.close();
        if (sinceLast > BLOCK_DURATION_MS) this.blocks.push(gapBlock(current.actualEndTime, entry.recordedAt));
      }
    }
    if (this.current === null) this.current = openBlock(floorToUtcHour(entry.recordedAt), entry.recordedAt);
    const block = this.current;
    block.entries += 1;
    block.actualEndTime = entry.recordedAt;
    const totals = block.totals;
    totals.inputTokens += entry.inputTokens;
    totals.outputTokens += entry.outputTokens;
    totals.cacheWriteTokens += entry.cacheWriteTokens;
    totals.cacheReadTokens += entry.cacheReadTokens;
    totals.reasoningTokens += entry.reasoningTokens;
    totals.totalTokens += entry.inputTokens + entry.outputTokens + entry.cacheWriteTokens + entry.cacheReadTokens;
    totals.costUsd += entry.costUsd;
    if (!this.models.has(entry.model)) {
      this.models.add(entry.model);
      block.models.push(entry.model);
    }
  }

  /** Every block and gap, oldest first, with `isActive` as of `now`. */
  finish(now: number): BillingBlock[] {
    this.close();
    for (const block of this.blocks) {
      block.isActive = !block.isGap && block.actualEndTime !== null && now - block.actualEndTime < BLOCK_DURATION_MS && now < block.endTime;
    }
    return this.blocks;
  }

  private close(): void {
    if (this.current !== null) this.blocks.push(this.current);
    this.current = null;
    this.models = new Set();
  }
}

function openBlock(startTime: number, firstEntryAt: number): BillingBlock {
  return {
    id: new Date(startTime).toISOString(),
    startTime,
    endTime: startTime + BLOCK_DURATION_MS,
    actualEndTime: null,
    firstEntryAt,
    isActive: false,
    isGap: false,
    entries: 0,
    totals: emptyContractTotals(),
    models: [],
  };
}

function gapBlock(lastActivity: number, nextActivity: number): BillingBlock {
  const startTime = lastActivity + BLOCK_DURATION_MS;
  return {
    id: `gap-${new Date(startTime).toISOString()}`,
    startTime,
    endTime: nextActivity,
    actualEndTime: null,
    firstEntryAt: null,
    isActive: false,
    isGap: true,
    entries: 0,
    totals: emptyContractTotals(),
    models: [],
  };
}

/**
 * Tokens per minute and dollars per hour between the block's first and last entry (ccusage's
 * `calculateBurnRate`); null for a gap or a block whose entries share one instant.
 */
export function burnRateOf(block: BillingBlock): BurnRate | null {
  if (block.isGap || block.firstEntryAt === null || block.actualEndTime === null) return null;
  const minutes = (block.actualEndTime - block.firstEntryAt) / MINUTE_MS;
  if (minutes <= 0) return null;
  return { tokensPerMinute: block.totals.totalTokens / minutes, costPerHour: (block.totals.costUsd / minutes) * 60 };
}

/**
 * What the active block will have used by its end if the burn rate holds (ccusage's
 * `projectBlockUsage`: tokens rounded, dollars to the cent, whole minutes left).
 */
export function projectionOf(block: BillingBlock, now: number): BlockProjection | null {
  if (!block.isActive || block.isGap) return null;
  const rate = burnRateOf(block);
  if (rate === null) return null;
  const remainingMinutes = Math.max(0, (block.endTime - now) / MINUTE_MS);
  return {
    totalTokens: Math.round(block.totals.totalTokens + rate.tokensPerMinute * remainingMinutes),
    costUsd: Math.round((block.totals.costUsd + (rate.costPerHour / 60) * remainingMinutes) * 100) / 100,
    remainingMinutes: Math.round(remainingMinutes),
  };
}
