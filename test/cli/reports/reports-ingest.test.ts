import { createReportSandbox, type ReportSandbox } from './report-cli';
import { seedStore } from './report-store';

/**
 * Without --no-ingest a report first boots a kernel and ingests what is new (here: nothing —
 * the home dir holds no agent data), then answers from the store like --no-ingest does.
 */

let box: ReportSandbox;
beforeAll(async () => {
  box = await createReportSandbox();
  await seedStore(box.dataDir, {
    records: [{ key: 'k', agent: 'claude-code', session: 's', model: 'claude-sonnet-4-5', at: '2026-10-01T09:00:00Z', input: 10, output: 20, cost: 0.5 }],
  });
});
afterAll(() => box.remove());

describe('reports ingest first', () => {
  it('boot a kernel, ingest, shut it down, and report the same figures as --no-ingest; no progress bar when stderr is not a terminal', async () => {
    const ingested = await box.run('costs', 'daily', '--json', '--tz', 'UTC');
    expect(ingested.code).toBe(0);
    const report = JSON.parse(ingested.stdout) as { rows: unknown[]; totals: unknown };
    const stored = await box.json<{ rows: unknown[]; totals: unknown }>('costs', 'daily', '--json', '--tz', 'UTC', '--no-ingest');
    expect({ rows: report.rows, totals: report.totals }).toEqual({ rows: stored.rows, totals: stored.totals });
    expect(ingested.stderr).not.toMatch(/\r|ingesting \[/);
  });
});
