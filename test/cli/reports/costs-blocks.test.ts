import { createReportSandbox, type ReportSandbox } from './report-cli';
import { seedStore, type StoredRecord } from './report-store';

/**
 * `costs blocks` through the real bin: a crafted history (a block cut by its 5 hours, a gap)
 * ten days back and an active block made of records from the last hour and a half. The
 * projection is checked against the `asOf` instant the report states.
 */

const H = 60 * 60 * 1000;
const M = 60 * 1000;
const DAY = 24 * H;

interface Block {
  id: string;
  startTime: string;
  endTime: string;
  isActive: boolean;
  isGap: boolean;
  entries: number;
  totalTokens: number;
  costUsd: number;
  models: string[];
  burnRate: { tokensPerMinute: number; costPerHour: number } | null;
  projection: { totalTokens: number; costUsd: number; remainingMinutes: number } | null;
}
interface BlocksReport {
  report: string;
  asOf: string;
  blocks: Block[];
  totals: { totalTokens: number; costUsd: number };
  warnings: unknown[];
}

let box: ReportSandbox;
let base: number;
let activeFirst: number;
const iso = (t: number) => new Date(t).toISOString();
const record = (key: string, t: number, input: number, output: number, cost: number, agent = 'claude-code'): StoredRecord => ({
  key,
  agent,
  session: 'blocks',
  model: 'claude-sonnet-4-5',
  at: iso(t),
  input,
  output,
  cost,
});

beforeAll(async () => {
  box = await createReportSandbox();
  const now = Date.now();
  base = Math.floor(now / DAY) * DAY - 10 * DAY; // midnight UTC, ten days ago
  activeFirst = now - 80 * M;
  await seedStore(box.dataDir, {
    records: [
      record('a', base + 10 * H + 20 * M, 100, 900, 1), // block at 10:00
      record('b', base + 14 * H + 50 * M, 200, 800, 2), // same block (4 h 50 after its start)
      record('c', base + 15 * H + 30 * M, 50, 50, 0.5), // new block at 15:00
      record('codex', base + 16 * H, 7, 7, 0.07, 'codex'), // another agent, same history
      record('d', base + DAY + 3 * H + 10 * M, 300, 300, 3), // after a gap: block at 03:00 the next day
      record('e', activeFirst, 1000, 2000, 1.5), // the active block
      record('f', activeFirst + 60 * M, 500, 500, 0.5),
    ],
  });
});
afterAll(() => box.remove());

const blocks = (...args: string[]) => box.json<BlocksReport>('costs', 'blocks', '--json', '--no-ingest', '--tz', 'UTC', ...args);

describe('costs blocks', () => {
  it('lists blocks and gaps as ccusage does, oldest first, across every selected agent', async () => {
    const result = await blocks('--agent', 'claude-code');
    expect(result.report).toBe('blocks');
    const past = result.blocks.slice(0, 5).map((block) => [block.id, block.isGap, block.entries, block.totalTokens, block.costUsd, block.isActive]);
    expect(past).toEqual([
      [iso(base + 10 * H), false, 2, 2000, 3, false],
      [iso(base + 15 * H), false, 1, 100, 0.5, false],
      [`gap-${iso(base + 20 * H + 30 * M)}`, true, 0, 0, 0, false],
      [iso(base + DAY + 3 * H), false, 1, 600, 3, false],
      [`gap-${iso(base + DAY + 8 * H + 10 * M)}`, true, 0, 0, 0, false],
    ]);
    const all = await blocks();
    expect(all.blocks[1]).toMatchObject({ id: iso(base + 15 * H), entries: 2, totalTokens: 114, costUsd: 0.57 });
  });

  it('flags the active block and projects it to its end at its burn rate', async () => {
    const result = await blocks('--agent', 'claude-code');
    const active = result.blocks.filter((block) => block.isActive);
    expect(active).toHaveLength(1);
    const block = active[0] as Block;
    expect(block).toBe(result.blocks[result.blocks.length - 1]);
    const start = Math.floor(activeFirst / H) * H;
    expect(block.startTime).toBe(iso(start));
    expect(block.endTime).toBe(iso(start + 5 * H));
    expect([block.entries, block.totalTokens, block.costUsd]).toEqual([2, 4000, 2]);
    // 4,000 tokens and $2 over the 60 minutes between its two records.
    expect(block.burnRate?.tokensPerMinute).toBeCloseTo(4000 / 60, 9);
    expect(block.burnRate?.costPerHour).toBeCloseTo(2, 9);
    const remaining = Math.max(0, (start + 5 * H - Date.parse(result.asOf)) / M);
    expect(block.projection).toEqual({
      totalTokens: Math.round(4000 + (4000 / 60) * remaining),
      costUsd: Math.round((2 + (2 / 60) * remaining) * 100) / 100,
      remainingMinutes: Math.round(remaining),
    });
    // Only the active block has a burn rate and a projection (as in ccusage's JSON).
    expect(result.blocks.filter((b) => b.burnRate !== null || b.projection !== null)).toEqual([block]);
  });

  it('--active keeps only the active block; --since/--until keep blocks that start on those days', async () => {
    const active = await blocks('--active');
    expect(active.blocks.map((block) => block.isActive)).toEqual([true]);
    const day = iso(base).slice(0, 10);
    const oneDay = await blocks('--agent', 'claude-code', '--since', day, '--until', day);
    expect(oneDay.blocks.map((block) => block.id)).toEqual([iso(base + 10 * H), iso(base + 15 * H), `gap-${iso(base + 20 * H + 30 * M)}`]);
    expect(oneDay.totals).toMatchObject({ totalTokens: 2100, costUsd: 3.5 });
  });

  it('prints a table with the active block and its projection for people', async () => {
    const result = await box.run('costs', 'blocks', '--no-ingest', '--tz', 'UTC', '--agent', 'claude-code');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ACTIVE, \d+h \d{2}m left|ACTIVE, \d+m left/);
    expect(result.stdout).toMatch(/PROJECTED at block end/);
    expect(result.stdout).toMatch(/gap \(/);
  });
});
