/**
 * Cursor end to end: a generated user dir in its default place, a booted Kernel running the
 * adapter bundle in its sandbox, `kernel.ingest()`, then the dashboard CSV imported into the
 * same store — the store must report the local token counts and the CSV's requests at the
 * CSV's cost, each exactly once however often either is read.
 */
import * as path from 'node:path';
import { importCursorUsageCsv } from '../../../kernel/services/imports';
import { cursorCsvRows, writeCursorUsageCsv } from '../../fixtures/agents/cursor-usage-csv';
import { writeCursorFixture } from '../../fixtures/agents/cursor';
import { ZERO_TOTALS, type ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { expectedWarnings, expectStoredUsage, storedSessions, useBootedKernels, warningsOf, type UsageTables } from '../booted-kernel';

const kernels = useBootedKernels(['adapter-cursor']);

function add(a: ExpectedUsage, b: ExpectedUsage): ExpectedUsage {
  const sum = { ...ZERO_TOTALS };
  for (const key of Object.keys(sum) as Array<keyof ExpectedUsage>) sum[key] = a[key] + b[key];
  return sum;
}

/** What the store holds for an agent whose records come from two places. */
function merged(a: UsageTables, b: UsageTables): UsageTables {
  const table = (x: Record<string, ExpectedUsage>, y: Record<string, ExpectedUsage>): Record<string, ExpectedUsage> => {
    const out: Record<string, ExpectedUsage> = { ...x };
    for (const [key, usage] of Object.entries(y)) out[key] = add(out[key] ?? ZERO_TOTALS, usage);
    return out;
  };
  return { totals: add(a.totals, b.totals), byDay: table(a.byDay, b.byDay), byModel: table(a.byModel, b.byModel) };
}

it('ingests composers and local token counts, then the dashboard CSV at its own cost; re-reading either adds nothing', async () => {
  const home = path.join(kernels.dir(), 'home');
  const fixture = writeCursorFixture(home);
  const booted = await kernels.boot({ HOME: home }, home);

  const first = await booted.kernel.ingest();
  expect(first.errors).toEqual([]);
  expect(first.adapters.map(({ agentType, installed, paths }) => ({ agentType, installed, paths }))).toEqual([{ agentType: 'cursor', installed: true, paths: [fixture.userDir] }]);
  await expectStoredUsage(booted.database, 'cursor', fixture);
  expect(warningsOf(first, 'cursor')).toEqual(expectedWarnings(fixture));
  expect(first.unknownModels).toEqual(fixture.unknownModels);
  const sessions = await storedSessions(booted.database, 'cursor');
  expect(Object.fromEntries([...sessions].map(([id, session]) => [id, session.projectPath]))).toEqual(fixture.composers);

  const csv = writeCursorUsageCsv(path.join(kernels.dir(), 'downloads', 'usage-events.csv'), cursorCsvRows(60));
  const imported = await importCursorUsageCsv(booted.database, csv.file);
  expect(imported.skipped.map((problem) => problem.line)).toEqual(csv.malformedLines);
  await expectStoredUsage(booted.database, 'cursor', merged(fixture, csv));

  const again = await booted.kernel.ingest();
  expect(again.records.inserted + again.records.updated).toBe(0);
  expect((await importCursorUsageCsv(booted.database, csv.file)).imported).toBe(0);
  await expectStoredUsage(booted.database, 'cursor', merged(fixture, csv));
});
