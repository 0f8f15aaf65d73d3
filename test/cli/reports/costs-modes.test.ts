import fs from 'node:fs';
import path from 'node:path';
import { createReportSandbox, type ReportSandbox } from './report-cli';
import { seedStore, type StoredRecord } from './report-store';

/**
 * `--mode` and the warnings of the cost reports: `display` shows only agent-reported costs,
 * `calculate` prices reported records from their tokens at the snapshot's prices, and a model
 * the catalog does not know is named in `warnings` (JSON) and on stderr (tables).
 */

interface Warning {
  kind: string;
  model?: string;
  message: string;
}
interface Report {
  rows: Array<{ period: string; costUsd: number; models: Array<{ model: string; costUsd: number }> }>;
  totals: { costUsd: number };
  warnings: Warning[];
}

const SNAPSHOT = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../kernel/services/pricing/data/litellm-prices.json'), 'utf8')) as Record<
  string,
  { input_cost_per_token: number; output_cost_per_token: number }
>;

const RECORDS: StoredRecord[] = [
  { key: 'a', agent: 'claude-code', session: 's1', model: 'claude-sonnet-4-5', at: '2026-10-01T09:00:00Z', input: 1000, output: 500, cost: 0.25 },
  { key: 'b', agent: 'opencode', session: 's2', model: 'claude-sonnet-4-5', at: '2026-10-02T12:00:00Z', input: 50, output: 60, cost: 0.125, reported: true },
  { key: 'c', agent: 'cursor', session: 's3', model: 'gpt-5-codex', at: '2026-10-02T13:00:00Z', input: 2000, output: 100, cost: 0.5, reported: true },
];

// What the snapshot charges for the reported records' tokens.
const sonnet = SNAPSHOT['claude-sonnet-4-5'];
const codex = SNAPSHOT['gpt-5-codex'];
const CALC_B = 50 * (sonnet?.input_cost_per_token ?? NaN) + 60 * (sonnet?.output_cost_per_token ?? NaN);
const CALC_C = 2000 * (codex?.input_cost_per_token ?? NaN) + 100 * (codex?.output_cost_per_token ?? NaN);
const round9 = (value: number) => Math.round(value * 1e9) / 1e9;

let box: ReportSandbox;
beforeAll(async () => {
  box = await createReportSandbox();
  await seedStore(box.dataDir, { records: RECORDS });
});
afterAll(() => box.remove());

const daily = (...args: string[]) => box.json<Report>('costs', 'daily', '--json', '--no-ingest', '--tz', 'UTC', ...args);

describe('costs --mode', () => {
  it('auto (the default) reports costs as stored: reported where the agent reported one', async () => {
    const auto = await daily();
    expect(auto.rows.map((row) => [row.period, row.costUsd])).toEqual([
      ['2026-10-01', 0.25],
      ['2026-10-02', 0.625],
    ]);
    expect(await daily('--mode', 'auto')).toEqual(auto);
  });

  it('display shows only what the agents reported, $0 for the rest', async () => {
    const display = await daily('--mode', 'display');
    expect(display.rows.map((row) => [row.period, row.costUsd])).toEqual([
      ['2026-10-01', 0],
      ['2026-10-02', 0.625],
    ]);
    expect(display.totals.costUsd).toBe(0.625);
  });

  it('calculate prices the reported records from their tokens at the snapshot prices', async () => {
    expect(CALC_B).toBeCloseTo(0.00105, 12);
    const calculate = await daily('--mode', 'calculate');
    expect(calculate.rows.map((row) => [row.period, row.costUsd])).toEqual([
      ['2026-10-01', 0.25],
      ['2026-10-02', round9(CALC_B + CALC_C)],
    ]);
    expect(calculate.rows[1]?.models).toEqual([
      expect.objectContaining({ model: 'gpt-5-codex', costUsd: round9(CALC_C) }),
      expect.objectContaining({ model: 'claude-sonnet-4-5', costUsd: round9(CALC_B) }),
    ]);
    expect(calculate.totals.costUsd).toBe(round9(0.25 + CALC_B + CALC_C));
    const byModel = await box.json<{ rows: Array<{ model: string; costUsd: number }> }>('costs', 'by-model', '--json', '--no-ingest', '--mode', 'calculate');
    expect(byModel.rows).toEqual([
      expect.objectContaining({ model: 'claude-sonnet-4-5', costUsd: round9(0.25 + CALC_B) }),
      expect.objectContaining({ model: 'gpt-5-codex', costUsd: round9(CALC_C) }),
    ]);
  });
});

describe('unknown models', () => {
  let unknown: ReportSandbox;
  beforeAll(async () => {
    unknown = await createReportSandbox();
    await seedStore(unknown.dataDir, {
      records: [
        { key: 'known', agent: 'claude-code', session: 's', model: 'claude-sonnet-4-5', at: '2026-10-01T09:00:00Z', input: 10, output: 10, cost: 0.01 },
        { key: 'mystery', agent: 'claude-code', session: 's', model: 'mystery-model-9', at: '2026-10-01T10:00:00Z', input: 500, output: 50, cost: 0 },
        // Claude's error entries: no tokens, so nothing was priced and nothing is worth a warning.
        { key: 'synthetic', agent: 'claude-code', session: 's', model: '<synthetic>', at: '2026-10-01T10:05:00Z', input: 0, output: 0, cost: 0 },
      ],
    });
  });
  afterAll(() => unknown.remove());

  it('are named in --json warnings, once, and never a model without tokens', async () => {
    const result = await unknown.json<Report>('costs', 'daily', '--json', '--no-ingest');
    expect(result.warnings).toEqual([{ kind: 'unknown-model', model: 'mystery-model-9', message: expect.stringContaining('mystery-model-9') }]);
    const byModel = await unknown.json<Report>('costs', 'by-model', '--json', '--no-ingest');
    expect(byModel.warnings.map((warning) => warning.model)).toEqual(['mystery-model-9']);
  });

  it('are named on stderr under a table, leaving stdout to the table', async () => {
    const result = await unknown.run('costs', 'daily', '--no-ingest');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: unknown model "mystery-model-9": priced at \$0/);
    expect(result.stdout).not.toMatch(/warning/);
    expect(result.stdout).toMatch(/mystery-model-9/);
  });
});
