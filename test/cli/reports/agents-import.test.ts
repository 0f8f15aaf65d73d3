import path from 'node:path';
import { cursorCsvRows, writeCursorUsageCsv, type CursorCsvFile } from '../../fixtures/agents/cursor-usage-csv';
import { createReportSandbox, type ReportSandbox } from './report-cli';

/** `agents import cursor <file.csv>` through the bin, then the imported usage in the reports. */

interface ImportJson {
  imported: number;
  alreadyImported: number;
  skipped: Array<{ line: number }>;
  dryRun: boolean;
  totals: { records: number };
}
interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  costUsd: number;
}

let box: ReportSandbox;
let csv: CursorCsvFile;

beforeAll(async () => {
  box = await createReportSandbox();
  csv = writeCursorUsageCsv(path.join(box.home, 'usage.csv'), cursorCsvRows(60));
});
afterAll(() => box.remove());

describe('agents import cursor', () => {
  it('--dry-run checks the file and writes nothing', async () => {
    const dry = await box.json<ImportJson>('agents', 'import', 'cursor', csv.file, '--dry-run', '--json');
    expect([dry.dryRun, dry.imported, dry.totals.records]).toEqual([true, 0, csv.totals.records]);
    const after = await box.json<{ totals: Totals }>('costs', 'daily', '--json', '--no-ingest', '--agent', 'cursor');
    expect(after.totals.totalTokens).toBe(0);
  });

  it('imports the valid rows, reports the malformed ones by line, and the reports then show them to the token and cent', async () => {
    const result = await box.json<ImportJson>('agents', 'import', 'cursor', csv.file, '--json');
    expect(result.imported).toBe(csv.totals.records);
    expect(result.skipped.map((problem) => problem.line)).toEqual(csv.malformedLines);
    const daily = await box.json<{ rows: Array<{ period: string; totalTokens: number }>; totals: Totals }>('costs', 'daily', '--json', '--no-ingest', '--tz', 'UTC', '--agent', 'cursor');
    const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens } = daily.totals;
    expect({ inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens }).toEqual({
      inputTokens: csv.totals.inputTokens,
      outputTokens: csv.totals.outputTokens,
      cacheWriteTokens: csv.totals.cacheWriteTokens,
      cacheReadTokens: csv.totals.cacheReadTokens,
      totalTokens: csv.totals.totalTokens,
    });
    expect(daily.totals.costUsd.toFixed(2)).toBe(csv.totals.costUsd.toFixed(2));
    expect(daily.rows.map((row) => [row.period, row.totalTokens])).toEqual(Object.entries(csv.byDay).sort().map(([day, usage]) => [day, usage.totalTokens]));
  });

  it('a second import of the same file adds nothing', async () => {
    const again = await box.json<ImportJson>('agents', 'import', 'cursor', csv.file, '--json');
    expect([again.imported, again.alreadyImported]).toEqual([0, csv.totals.records]);
  });

  it('a file that cannot be read exits 1 with E9001 and the path', async () => {
    const result = await box.run('agents', 'import', 'cursor', path.join(box.home, 'missing.csv'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/E9001 cannot read .*missing\.csv/);
    const usage = await box.run('agents', 'import', 'cursor');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'file'/);
  });
});
