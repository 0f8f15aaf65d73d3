import { createReportSandbox, type ReportSandbox } from './report-cli';
import { seedStore, type StoredRecord, type StoredSession } from './report-store';

/**
 * `costs daily|weekly|monthly --json` through the real bin, on records written straight into
 * the store: the JSON contract key for key, days cut in --tz, --agent, --project and the
 * inclusive --since/--until.
 */

const SESSIONS: StoredSession[] = [
  { agent: 'claude-code', externalId: 's1', project: '/work/app', startedAt: '2026-10-01T08:55:00Z', endedAt: '2026-10-01T23:40:00Z' },
  { agent: 'codex', externalId: 's2', project: '/work/lib', startedAt: '2026-10-02T02:50:00Z', endedAt: '2026-10-02T03:10:00Z' },
  { agent: 'opencode', externalId: 's3', project: '/work/lib', startedAt: '2026-10-05T11:00:00Z' },
  { agent: 'claude-code', externalId: 's4', project: '/work/app', startedAt: '2026-11-02T07:59:00Z' },
];

const RECORDS: StoredRecord[] = [
  { key: 'r1', agent: 'claude-code', session: 's1', model: 'claude-sonnet-4-5', at: '2026-10-01T09:00:00Z', input: 1000, output: 500, cacheWrite: 2000, cacheRead: 30000, cost: 0.25 },
  { key: 'r2', agent: 'claude-code', session: 's1', model: 'claude-opus-4-1', at: '2026-10-01T23:30:00Z', input: 10, output: 200, cacheRead: 5000, cost: 0.5 },
  { key: 'r3', agent: 'codex', session: 's2', model: 'gpt-5-codex', at: '2026-10-02T03:00:00Z', input: 4000, output: 800, cacheRead: 1000, reasoning: 300, cost: 0.04 },
  { key: 'r4', agent: 'opencode', session: 's3', model: 'claude-sonnet-4-5', at: '2026-10-05T12:00:00Z', input: 50, output: 60, cost: 0.125, reported: true },
  { key: 'r5', agent: 'claude-code', session: 's4', model: 'claude-sonnet-4-5', at: '2026-11-02T08:00:00Z', input: 7, output: 8, cost: 0.001 },
];

/** The contract's token fields in order. */
const t = (inputTokens: number, outputTokens: number, cacheWriteTokens: number, cacheReadTokens: number, reasoningTokens: number, costUsd: number) => ({
  inputTokens,
  outputTokens,
  cacheWriteTokens,
  cacheReadTokens,
  reasoningTokens,
  totalTokens: inputTokens + outputTokens + cacheWriteTokens + cacheReadTokens,
  costUsd,
});

const R1 = t(1000, 500, 2000, 30000, 0, 0.25);
const R2 = t(10, 200, 0, 5000, 0, 0.5);
const R3 = t(4000, 800, 0, 1000, 300, 0.04);
const R4 = t(50, 60, 0, 0, 0, 0.125);
const R5 = t(7, 8, 0, 0, 0, 0.001);

interface Row {
  period: string;
  costUsd: number;
  totalTokens: number;
  agents: Array<{ agent: string }>;
  models: Array<{ model: string }>;
}
interface Report {
  period: string;
  rows: Row[];
  totals: Record<string, number>;
  warnings: unknown[];
}

let box: ReportSandbox;

beforeAll(async () => {
  box = await createReportSandbox();
  await seedStore(box.dataDir, { sessions: SESSIONS, records: RECORDS });
});

afterAll(() => box.remove());

const report = (...args: string[]) => box.json<Report>('costs', ...args, '--no-ingest');

describe('costs daily|weekly|monthly --json', () => {
  it('daily prints the contract exactly: keys, their order, per-agent and per-model rows most expensive first', async () => {
    const daily = await report('daily', '--json', '--tz', 'UTC');
    const expected = {
      period: 'daily',
      rows: [
        {
          period: '2026-10-01',
          ...t(1010, 700, 2000, 35000, 0, 0.75),
          agents: [{ agent: 'claude-code', ...t(1010, 700, 2000, 35000, 0, 0.75) }],
          models: [
            { model: 'claude-opus-4-1', ...R2 },
            { model: 'claude-sonnet-4-5', ...R1 },
          ],
        },
        { period: '2026-10-02', ...R3, agents: [{ agent: 'codex', ...R3 }], models: [{ model: 'gpt-5-codex', ...R3 }] },
        { period: '2026-10-05', ...R4, agents: [{ agent: 'opencode', ...R4 }], models: [{ model: 'claude-sonnet-4-5', ...R4 }] },
        { period: '2026-11-02', ...R5, agents: [{ agent: 'claude-code', ...R5 }], models: [{ model: 'claude-sonnet-4-5', ...R5 }] },
      ],
      totals: t(5067, 1568, 2000, 36000, 300, 0.916),
      warnings: [],
    };
    expect(daily).toEqual(expected);
    // toEqual ignores key order; the contract does not.
    expect(JSON.stringify(daily)).toBe(JSON.stringify(expected));
  });

  it('weekly rows are ISO weeks named by their Monday; monthly rows are YYYY-MM', async () => {
    const weekly = await report('weekly', '--json', '--tz', 'UTC');
    expect(Object.keys(weekly)).toEqual(['period', 'rows', 'totals', 'warnings']);
    expect(weekly.period).toBe('weekly');
    expect(weekly.rows.map((row) => [row.period, row.costUsd, row.totalTokens])).toEqual([
      ['2026-09-28', 0.79, 44510],
      ['2026-10-05', 0.125, 110],
      ['2026-11-02', 0.001, 15],
    ]);
    expect(weekly.rows[0]?.agents.map((a) => a.agent)).toEqual(['claude-code', 'codex']);
    expect(JSON.stringify(weekly.totals)).toBe(JSON.stringify(t(5067, 1568, 2000, 36000, 300, 0.916)));

    const monthly = await report('monthly', '--json', '--tz', 'UTC');
    expect(monthly.period).toBe('monthly');
    expect(monthly.rows.map((row) => [row.period, row.costUsd])).toEqual([
      ['2026-10', 0.915],
      ['2026-11', 0.001],
    ]);
    const october = monthly.rows[0] as Row & Record<string, unknown>;
    expect(october.agents.map((a) => a.agent)).toEqual(['claude-code', 'opencode', 'codex']);
    expect(october.models).toEqual([
      { model: 'claude-opus-4-1', ...R2 },
      { model: 'claude-sonnet-4-5', ...t(1050, 560, 2000, 30000, 0, 0.375) },
      { model: 'gpt-5-codex', ...R3 },
    ]);
  });

  it('--tz moves records across midnight: 23:30Z is the next day in Tokyo, 03:00Z the previous day in Los Angeles', async () => {
    const tokyo = await report('daily', '--json', '--tz', 'Asia/Tokyo');
    expect(tokyo.rows.slice(0, 2).map((row) => [row.period, row.costUsd])).toEqual([
      ['2026-10-01', 0.25],
      ['2026-10-02', 0.54],
    ]);
    const losAngeles = await report('daily', '--json', '--tz', 'America/Los_Angeles');
    expect(losAngeles.rows[0]).toMatchObject({ period: '2026-10-01', costUsd: 0.79 });
    expect(losAngeles.rows[0]?.agents.map((a) => a.agent)).toEqual(['claude-code', 'codex']);
    // The same records in every zone.
    expect(tokyo.totals).toEqual(losAngeles.totals);
  });

  it('--agent keeps only the named agents (repeatable), rows and totals alike', async () => {
    const codex = await report('daily', '--json', '--tz', 'UTC', '--agent', 'codex');
    expect(codex.rows.map((row) => row.period)).toEqual(['2026-10-02']);
    expect(JSON.stringify(codex.totals)).toBe(JSON.stringify(R3));

    const two = await report('monthly', '--json', '--tz', 'UTC', '--agent', 'codex', '--agent', 'opencode');
    expect(two.rows.map((row) => [row.period, row.agents.map((a) => a.agent)])).toEqual([['2026-10', ['opencode', 'codex']]]);
    expect(two.totals.costUsd).toBe(0.165);
  });

  it('--project keeps the records of that project\'s sessions', async () => {
    const app = await report('daily', '--json', '--tz', 'UTC', '--project', '/work/app/');
    expect(app.rows.map((row) => row.period)).toEqual(['2026-10-01', '2026-11-02']);
    expect(app.totals.costUsd).toBe(0.751);
  });

  it('--since/--until select whole local days, both ends included', async () => {
    const one = await report('daily', '--json', '--tz', 'UTC', '--since', '2026-10-02', '--until', '2026-10-05');
    expect(one.rows.map((row) => row.period)).toEqual(['2026-10-02', '2026-10-05']);
    const since = await report('daily', '--json', '--tz', 'UTC', '--since', '2026-10-05');
    expect(since.rows.map((row) => row.period)).toEqual(['2026-10-05', '2026-11-02']);
    const until = await report('daily', '--json', '--tz', 'UTC', '--until', '2026-10-01');
    expect(until.rows.map((row) => row.period)).toEqual(['2026-10-01']);
    // In Tokyo 2026-10-02 runs from 2026-10-01T15:00Z: it holds r2 (23:30Z) and r3.
    const tokyo = await report('daily', '--json', '--tz', 'Asia/Tokyo', '--since', '2026-10-02', '--until', '2026-10-02');
    expect(tokyo.rows.map((row) => [row.period, row.costUsd])).toEqual([['2026-10-02', 0.54]]);
  });
});

describe('--since/--until at the edges of local days', () => {
  let edges: ReportSandbox;
  beforeAll(async () => {
    edges = await createReportSandbox();
    const at = (key: string, iso: string, cost: number): StoredRecord => ({ key, agent: 'gemini', session: 'g', model: 'gemini-2.5-pro', at: iso, input: 1, output: 1, cost });
    await seedStore(edges.dataDir, {
      records: [
        at('before', '2026-10-01T14:59:59.999Z', 1), // 2026-10-01 23:59:59.999 in Tokyo
        at('first', '2026-10-01T15:00:00.000Z', 2), // 2026-10-02 00:00 in Tokyo
        at('last', '2026-10-02T14:59:59.999Z', 4), // 2026-10-02 23:59:59.999 in Tokyo
        at('after', '2026-10-02T15:00:00.000Z', 8), // 2026-10-03 00:00 in Tokyo
      ],
    });
  });
  afterAll(() => edges.remove());

  it('include the first and last millisecond of the days asked for, and nothing outside', async () => {
    const result = await edges.json<Report>('costs', 'daily', '--json', '--no-ingest', '--tz', 'Asia/Tokyo', '--since', '2026-10-02', '--until', '2026-10-02');
    expect(result.rows.map((row) => [row.period, row.costUsd])).toEqual([['2026-10-02', 6]]);
    expect(result.totals.costUsd).toBe(6);
    const two = await edges.json<Report>('costs', 'daily', '--json', '--no-ingest', '--tz', 'Asia/Tokyo', '--since', '2026-10-01', '--until', '2026-10-03');
    expect(two.totals.costUsd).toBe(15);
  });
});
