import { BillingBlockBuilder, BLOCK_DURATION_MS, burnRateOf, projectionOf, type BillingBlock, type BlockEntry } from '../../../kernel/cli/reports/billing-blocks';

/**
 * The 5-hour block rules of ccusage@20.0.24 (`identifySessionBlocks`, `calculateBurnRate`,
 * `projectBlockUsage`) on crafted timelines with a fixed "now".
 */

const H = 60 * 60 * 1000;
const M = 60 * 1000;
const at = (iso: string) => Date.parse(iso);

function entry(iso: string, input: number, output: number, costUsd: number, model = 'claude-sonnet-4-5', cacheRead = 0): BlockEntry {
  return { recordedAt: at(iso), inputTokens: input, outputTokens: output, cacheWriteTokens: 0, cacheReadTokens: cacheRead, reasoningTokens: 0, costUsd, model };
}

function blocksOf(entries: BlockEntry[], now: number): BillingBlock[] {
  const builder = new BillingBlockBuilder();
  for (const item of entries) builder.add(item);
  return builder.finish(now);
}

const summary = (block: BillingBlock) => ({
  id: block.id,
  start: new Date(block.startTime).toISOString(),
  end: new Date(block.endTime).toISOString(),
  gap: block.isGap,
  entries: block.entries,
  tokens: block.totals.totalTokens,
});

describe('billing blocks', () => {
  const timeline = [
    entry('2026-10-01T10:20:00Z', 100, 900, 1, 'claude-sonnet-4-5', 1000), // opens a block floored to 10:00
    entry('2026-10-01T12:00:00Z', 200, 1800, 2, 'claude-opus-4-1'),
    entry('2026-10-01T14:50:00Z', 100, 900, 1), // 4 h 50 after the block's start: still inside
    entry('2026-10-01T15:30:00Z', 50, 50, 0.5), // 5 h 30 after the start: a new block at 15:00, no gap (40 min of silence)
    entry('2026-10-02T03:10:00Z', 300, 300, 3), // 11 h 40 of silence: a gap from 20:30, then a block at 03:00
    entry('2026-10-02T03:40:00Z', 300, 300, 3),
  ];

  it('floors each block to the UTC hour, starts a new one after 5 h from its start or 5 h of silence, and lists the silence as a gap', () => {
    const blocks = blocksOf(timeline, at('2026-10-02T04:00:00Z'));
    expect(blocks.map(summary)).toEqual([
      { id: '2026-10-01T10:00:00.000Z', start: '2026-10-01T10:00:00.000Z', end: '2026-10-01T15:00:00.000Z', gap: false, entries: 3, tokens: 5000 },
      { id: '2026-10-01T15:00:00.000Z', start: '2026-10-01T15:00:00.000Z', end: '2026-10-01T20:00:00.000Z', gap: false, entries: 1, tokens: 100 },
      { id: 'gap-2026-10-01T20:30:00.000Z', start: '2026-10-01T20:30:00.000Z', end: '2026-10-02T03:10:00.000Z', gap: true, entries: 0, tokens: 0 },
      { id: '2026-10-02T03:00:00.000Z', start: '2026-10-02T03:00:00.000Z', end: '2026-10-02T08:00:00.000Z', gap: false, entries: 2, tokens: 1200 },
    ]);
    expect(blocks[0]?.models).toEqual(['claude-sonnet-4-5', 'claude-opus-4-1']);
    expect(blocks[0]?.actualEndTime).toBe(at('2026-10-01T14:50:00Z'));
    expect(blocks[0]?.totals.costUsd).toBe(4);
  });

  it('keeps an entry exactly 5 h after the block start in the block: only more than 5 h splits, and a gap needs more than 5 h of silence', () => {
    const later = at('2026-10-03T00:00:00Z');
    expect(blocksOf([entry('2026-10-01T10:00:00Z', 1, 1, 0), entry('2026-10-01T15:00:00Z', 1, 1, 0)], later).map((block) => block.entries)).toEqual([2]);
    // 5 h and 1 ms after the block's start but 4 h 30 after the last entry: a new block, no gap.
    const split = blocksOf([entry('2026-10-01T10:30:00Z', 1, 1, 0), entry('2026-10-01T15:00:00.001Z', 1, 1, 0)], later);
    expect(split.map((block) => [block.isGap, block.entries])).toEqual([
      [false, 1],
      [false, 1],
    ]);
    // 5 h and 1 ms of silence: ccusage lists the 1 ms between the block's last entry + 5 h and the next entry as a gap.
    const gap = blocksOf([entry('2026-10-01T10:00:00Z', 1, 1, 0), entry('2026-10-01T15:00:00.001Z', 1, 1, 0)], later);
    expect(gap.map(summary).map((block) => [block.id, block.gap])).toEqual([
      ['2026-10-01T10:00:00.000Z', false],
      ['gap-2026-10-01T15:00:00.000Z', true],
      ['2026-10-01T15:00:00.000Z', false],
    ]);
  });

  it('flags as active only the block whose last entry is under 5 h old and whose 5 h have not run out', () => {
    const now = at('2026-10-02T04:00:00Z');
    expect(blocksOf(timeline, now).map((block) => block.isActive)).toEqual([false, false, false, true]);
    // Its 5 hours are over at 08:00, however recent its last entry.
    expect(blocksOf(timeline, at('2026-10-02T08:00:00Z')).map((block) => block.isActive)).toEqual([false, false, false, false]);
  });

  it('burns tokens per minute and dollars per hour between the first and last entry, and projects the active block to its end', () => {
    const now = at('2026-10-02T04:00:00Z');
    const active = blocksOf(timeline, now)[3] as BillingBlock;
    // 1,200 tokens and $6 between 03:10 and 03:40.
    expect(burnRateOf(active)).toEqual({ tokensPerMinute: 40, costPerHour: 12 });
    // 240 minutes left at 40 tokens and $0.20 a minute.
    expect(projectionOf(active, now)).toEqual({ totalTokens: 1200 + 40 * 240, costUsd: 6 + 0.2 * 240, remainingMinutes: 240 });
    expect(projectionOf(blocksOf(timeline, now)[0] as BillingBlock, now)).toBeNull();
  });

  it('has no burn rate (and so no projection) for a block whose entries share one instant', () => {
    const now = at('2026-10-01T10:30:00Z');
    const [block] = blocksOf([entry('2026-10-01T10:10:00Z', 5, 5, 1), entry('2026-10-01T10:10:00Z', 5, 5, 1)], now);
    expect(block?.isActive).toBe(true);
    expect(burnRateOf(block as BillingBlock)).toBeNull();
    expect(projectionOf(block as BillingBlock, now)).toBeNull();
    expect(BLOCK_DURATION_MS).toBe(5 * H);
    expect((block as BillingBlock).endTime - (block as BillingBlock).startTime).toBe(300 * M);
  });
});
