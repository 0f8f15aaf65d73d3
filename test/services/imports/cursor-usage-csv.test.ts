import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import { importCursorUsageCsv } from '../../../kernel/services/imports';
import { CostAggregator, type Database, type UsageTotals } from '../../../kernel/services/storage';
import { rejectionOf } from '../../../sdk/src/testing/rejection-of';
import { cursorCsvRows, expectedOfCursorCsv, writeCursorUsageCsv } from '../../fixtures/agents/cursor-usage-csv';
import type { ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { describeBackends } from '../storage/backends';

/** Tokens exactly, cost to the cent. */
function rounded(usage: UsageTotals | ExpectedUsage): ExpectedUsage {
  const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, reasoningTokens, totalTokens, costUsd, records } = usage;
  return { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, reasoningTokens, totalTokens, costUsd: Math.round(costUsd * 100) / 100, records };
}

function roundedTable(table: Record<string, UsageTotals | ExpectedUsage>): Record<string, ExpectedUsage> {
  return Object.fromEntries(Object.entries(table).map(([key, usage]) => [key, rounded(usage)]));
}

async function storedByDayAndModel(db: Database): Promise<{ byDay: Record<string, ExpectedUsage>; byModel: Record<string, ExpectedUsage>; totals: ExpectedUsage }> {
  const aggregator = new CostAggregator(db);
  const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'UTC' });
  return {
    byDay: roundedTable(Object.fromEntries(report.periods.map((period) => [period.period, period.totals]))),
    byModel: roundedTable(Object.fromEntries((await aggregator.byModel()).map((row) => [row.model, row]))),
    totals: rounded(report.totals),
  };
}

async function storedCount(db: Database): Promise<number> {
  const row = (await db.knex('usage_records').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

describeBackends('importCursorUsageCsv', (backend) => {
  let db: Database;
  let dir: string;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(async () => {
    await backend.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'rimuru-cursor-csv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stores every valid row at the CSV's cost: exact tokens and cost by UTC day and by model", async () => {
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), cursorCsvRows(80));
    const summary = await importCursorUsageCsv(db, csv.file);

    expect(summary.imported).toBe(csv.totals.records);
    expect(summary.alreadyImported).toBe(0);
    const stored = await storedByDayAndModel(db);
    expect(stored.totals).toEqual(rounded(csv.totals));
    expect(stored.byDay).toEqual(roundedTable(csv.byDay));
    expect(stored.byModel).toEqual(roundedTable(csv.byModel));
  });

  it('sums the valid rows in its summary, with the span they cover', async () => {
    const rows = cursorCsvRows(30);
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), rows);
    const summary = await importCursorUsageCsv(db, csv.file);

    const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens, records } = csv.totals;
    expect({ ...summary.totals, costUsd: Math.round(summary.totals.costUsd * 100) / 100 }).toEqual({
      records, inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, totalTokens, costUsd: Math.round(csv.totals.costUsd * 100) / 100,
    });
    const times = rows.map((row) => row.dateMs);
    expect([summary.firstAt, summary.lastAt]).toEqual([new Date(Math.min(...times)).toISOString(), new Date(Math.max(...times)).toISOString()]);
    expect(summary.rows).toBe(csv.rows);
  });

  it('changes nothing when the same file is imported again', async () => {
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), cursorCsvRows(40));
    await importCursorUsageCsv(db, csv.file);
    const before = await db.knex('usage_records').select('*').orderBy('dedup_key');

    const again = await importCursorUsageCsv(db, csv.file);
    expect([again.imported, again.alreadyImported]).toEqual([0, csv.totals.records]);
    expect(await db.knex('usage_records').select('*').orderBy('dedup_key')).toEqual(before);
  });

  it('adds only the new rows of an export that overlaps an earlier one', async () => {
    const rows = cursorCsvRows(60);
    const older = writeCursorUsageCsv(path.join(dir, 'older.csv'), rows.slice(20), { malformed: false });
    const newer = writeCursorUsageCsv(path.join(dir, 'newer.csv'), rows.slice(0, 40), { malformed: false, header: 'v1' });
    await importCursorUsageCsv(db, older.file);
    const second = await importCursorUsageCsv(db, newer.file);

    expect(second.imported).toBe(20);
    expect((await storedByDayAndModel(db)).totals).toEqual(rounded(expectedOfCursorCsv(rows).totals));
  });

  it.each(['v1', 'v3'] as const)('reports malformed rows by their line and imports the rest (%s header)', async (header) => {
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), cursorCsvRows(60), { header });
    const summary = await importCursorUsageCsv(db, csv.file);

    expect(summary.skipped.map((problem) => problem.line)).toEqual(csv.malformedLines);
    expect(csv.malformedLines.length).toBeGreaterThanOrEqual(6);
    expect(summary.skipped.map((problem) => problem.message)).toEqual(
      expect.arrayContaining([
        'Date is not a date and time: "last Tuesday"',
        'Output Tokens is not a whole number of tokens: "12a"',
        'Cost is not an amount in dollars: "€0.10"',
        `${header === 'v1' ? 9 : 12} fields where the header has ${header === 'v1' ? 10 : 13}`,
        'Input (w/o Cache Write) is larger than Input (w/ Cache Write)',
        'a quote inside a field that is not quoted',
      ]),
    );
    expect((await storedByDayAndModel(db)).totals).toEqual(rounded(csv.totals));
  });

  it('stores each row as a cursor record with reported cost, one pseudo-session per UTC day, and flags for included and max-mode requests', async () => {
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), cursorCsvRows(40));
    await importCursorUsageCsv(db, csv.file);
    const rows = (await db.knex('usage_records').select('agent_type', 'cost_source', 'session_id', 'recorded_at', 'flags', 'dedup_key')) as Array<Record<string, unknown>>;

    expect(new Set(rows.map((row) => `${String(row.agent_type)}/${String(row.cost_source)}`))).toEqual(new Set(['cursor/reported']));
    for (const row of rows) {
      expect(row.session_id).toBe(`cursor:dashboard-${new Date(Number(row.recorded_at)).toISOString().slice(0, 10)}`);
      expect(String(row.dedup_key)).toMatch(/^cursor:csv:[0-9a-f]{32}:\d+$/);
    }
    const flags = rows.map((row) => JSON.parse(String(row.flags)) as string[]);
    expect(flags.every((list) => list.includes('dashboard-csv'))).toBe(true);
    expect(flags.some((list) => list.includes('included-in-plan'))).toBe(true);
    expect(flags.some((list) => list.includes('max-mode'))).toBe(true);
  });

  it('writes nothing on a dry run', async () => {
    const csv = writeCursorUsageCsv(path.join(dir, 'usage.csv'), cursorCsvRows(20));
    const summary = await importCursorUsageCsv(db, csv.file, { dryRun: true });

    expect([summary.dryRun, summary.imported, summary.totals.records]).toEqual([true, 0, csv.totals.records]);
    expect(await storedCount(db)).toBe(0);
  });

  it('refuses a file that is not a Cursor usage CSV (E9002) or cannot be read (E9001), writing nothing', async () => {
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, 'Date,Model,Tokens\n2026-03-01T00:00:00Z,gpt-5,10\n');
    const notCursor = await rejectionOf(importCursorUsageCsv(db, other));
    expect(notCursor.code).toBe(ErrorCodes.IMPORT_INVALID_FILE);
    expect(notCursor.message).toContain('"Input (w/ Cache Write)"');

    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect((await rejectionOf(importCursorUsageCsv(db, empty))).code).toBe(ErrorCodes.IMPORT_INVALID_FILE);
    expect((await rejectionOf(importCursorUsageCsv(db, path.join(dir, 'missing.csv')))).code).toBe(ErrorCodes.IMPORT_UNREADABLE);
    expect((await rejectionOf(importCursorUsageCsv(db, dir))).code).toBe(ErrorCodes.IMPORT_UNREADABLE);
    expect(await storedCount(db)).toBe(0);
  });
});
