import { CostAggregator, maskUrl, upsertUsageRecords, type Dialect, type UsageTotals } from '../../../kernel/services/storage';
import { numberOf, rawRows } from '../../../kernel/services/storage/repositories/row-values';
import { compare, type Comparison, type Figure, type SuiteResult } from '../bench-result';
import { elapsedMs, headToHead, now, summarizeRate } from '../measure';
import { BENCH_DATABASE_URL, openPostgresStore, openSqliteStore, probePostgres, type BenchStore } from '../storage-stores';
import { DAY_MS, UsageHistory, type HistoryTotals } from '../usage-history';

const RECORDS = 1_000_000;
const BATCH = 10_000;
const SESSIONS = 2_000;
const DAYS = 180;
const SEED = 20_261_121;
// The history ends, and the reports' range with it, mid-afternoon: both ends are ragged quarter hours.
const NOW = Date.UTC(2026, 10, 21, 14, 37, 12, 345);
const QUERY_WARMUP = 2;
const QUERY_ROUNDS = 3;
const QUERY_PER_ROUND = 2;

/** The storage issue's acceptance targets. */
export const SQLITE_INSERT_TARGET_ROWS_PER_S = 200_000;
export const DAILY_REPORT_TARGET_MS = 300;

const BACKEND_NAME: Record<Dialect, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

interface BackendResult {
  comparisons: Comparison[];
  figures: Figure[];
}

function fail(what: string, detail: string): never {
  throw new Error(`storage bench: ${what}: ${detail}`);
}

function expectEqual(what: string, actual: number, expected: number): void {
  if (actual !== expected) fail(what, `got ${actual}, expected ${expected}`);
}

/** Totals as the aggregators return them, against the generator's own count (costs to a billionth). */
function checkTotals(what: string, actual: UsageTotals, expected: HistoryTotals): void {
  expectEqual(`${what}, records`, actual.records, expected.records);
  expectEqual(`${what}, input tokens`, actual.inputTokens, expected.inputTokens);
  expectEqual(`${what}, output tokens`, actual.outputTokens, expected.outputTokens);
  expectEqual(`${what}, cache write tokens`, actual.cacheWriteTokens, expected.cacheWriteTokens);
  expectEqual(`${what}, cache read tokens`, actual.cacheReadTokens, expected.cacheReadTokens);
  expectEqual(`${what}, reasoning tokens`, actual.reasoningTokens, expected.reasoningTokens);
  if (Math.abs(actual.costUsd - expected.costUsd) > 1e-9 * expected.costUsd) fail(`${what}, cost`, `got ${actual.costUsd}, expected ${expected.costUsd}`);
}

/** Every key of `expected` with its count, and nothing else. */
function checkCounts(what: string, actual: Map<string, number>, expected: Map<string, number>): void {
  expectEqual(`${what}, groups`, actual.size, expected.size);
  for (const [key, count] of expected) expectEqual(`${what}, ${key}`, actual.get(key) ?? 0, count);
}

function addTo(map: Map<string, number>, key: string, count: number): Map<string, number> {
  map.set(key, (map.get(key) ?? 0) + count);
  return map;
}

const SUMS = 'count(*) as n, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(cache_write_tokens) as cache_write_tokens, sum(cache_read_tokens) as cache_read_tokens, sum(reasoning_tokens) as reasoning_tokens, sum(cost_usd) as cost_usd';
const IN_RANGE = 'where recorded_at >= ? and recorded_at < ?';

/** The naive SQL for each question: one GROUP BY over the raw records, as anyone would write it first. */
function naiveSql(dialect: Dialect): Record<'dayUtc' | 'dayNewYork' | 'byModel' | 'month', string> {
  const month = dialect === 'sqlite' ? `strftime('%Y-%m', recorded_at / 1000, 'unixepoch')` : `to_char(to_timestamp(recorded_at / 1000.0) at time zone 'UTC', 'YYYY-MM')`;
  return {
    dayUtc: `select recorded_at / ${DAY_MS} as day, agent_type, model, ${SUMS} from usage_records ${IN_RANGE} group by 1, 2, 3`,
    dayNewYork: `select (recorded_at - ${5 * 3_600_000}) / ${DAY_MS} as day, agent_type, model, ${SUMS} from usage_records ${IN_RANGE} group by 1, 2, 3`,
    byModel: `select model, ${SUMS} from usage_records ${IN_RANGE} group by 1`,
    month: `select ${month} as month, agent_type, model, ${SUMS} from usage_records ${IN_RANGE} group by 1, 2, 3`,
  };
}

async function rollupState(store: BenchStore): Promise<{ records: number; maxId: number; rollupRows: number; rollupRecords: number; rollupCost: number }> {
  const [row] = rawRows(
    await store.db.knex.raw(
      'select (select count(*) from usage_records) as records, (select max(id) from usage_records) as max_id, ' +
        '(select count(*) from usage_rollups) as rollup_rows, (select sum(record_count) from usage_rollups) as rollup_records, (select sum(cost_usd) from usage_rollups) as rollup_cost',
    ),
  );
  return {
    records: numberOf(row?.records),
    maxId: numberOf(row?.max_id),
    rollupRows: numberOf(row?.rollup_rows),
    rollupRecords: numberOf(row?.rollup_records),
    rollupCost: numberOf(row?.rollup_cost),
  };
}

interface WritePass {
  ours: number[];
  baseline: number[];
  oursMs: number;
  baselineMs: number;
}

/**
 * Every batch through `upsertUsageRecords` and through the baseline, taking turns at going
 * first; each batch is made before its clock starts. `fresh`: the records are new (all
 * inserted) or already stored (none written).
 */
async function writeAll(store: BenchStore, history: UsageHistory, fresh: boolean): Promise<WritePass> {
  const pass: WritePass = { ours: [], baseline: [], oursMs: 0, baselineMs: 0 };
  const phase = fresh ? 'load' : 're-upsert';
  for (let index = 0; index < history.batches; index++) {
    const records = history.batch(index);
    const ours = async (): Promise<void> => {
      const start = now();
      const result = await upsertUsageRecords(store.db, records);
      const ms = elapsedMs(start);
      expectEqual(`${phase} batch ${index}, inserted`, result.inserted, fresh ? records.length : 0);
      expectEqual(`${phase} batch ${index}, updated`, result.updated, 0);
      expectEqual(`${phase} batch ${index}, unchanged`, result.unchanged, fresh ? 0 : records.length);
      pass.ours.push(records.length / (ms / 1000));
      pass.oursMs += ms;
    };
    const baseline = async (): Promise<void> => {
      const start = now();
      const inserted = await store.rawInsert(records);
      const ms = elapsedMs(start);
      expectEqual(`baseline ${phase} batch ${index}, inserted`, inserted, fresh ? records.length : 0);
      pass.baseline.push(records.length / (ms / 1000));
      pass.baselineMs += ms;
    };
    if (index % 2 === 0) {
      await ours();
      await baseline();
    } else {
      await baseline();
      await ours();
    }
  }
  return pass;
}

async function benchBackend(store: BenchStore, history: UsageHistory, expected: HistoryTotals): Promise<BackendResult> {
  const name = BACKEND_NAME[store.kind];
  const id = `storage.${store.kind}`;
  const aggregator = new CostAggregator(store.db);
  const range = { from: history.from, to: history.to };
  const million = `${(RECORDS / 1e6).toLocaleString('en-US')}M`;

  // (1) The load.
  const load = await writeAll(store, history, true);
  const loaded = await rollupState(store);
  expectEqual('rows after the load', loaded.records, RECORDS);
  expectEqual('baseline rows after the load', await store.rawCount(), RECORDS);
  // The first read after a load catches the rollups up (SQLite: folds every record; PostgreSQL: compacts the triggers' deltas).
  const firstReadStart = now();
  checkTotals('breakdown after the load', await aggregator.breakdown(range), expected);
  const firstReadMs = elapsedMs(firstReadStart);
  const before = await rollupState(store);
  expectEqual('rollup records after the first read', before.rollupRecords, RECORDS);

  // (2) The same records again: nothing may change.
  const again = await writeAll(store, history, false);
  const after = await rollupState(store);
  for (const key of Object.keys(before) as Array<keyof typeof before>) expectEqual(`${key} after the re-upsert`, after[key], before[key]);
  expectEqual('baseline rows after the re-upsert', await store.rawCount(), RECORDS);
  checkTotals('breakdown after the re-upsert', await aggregator.breakdown(range), expected);

  // (3) The questions, each checked once against the generator's counts before it is timed.
  const naive = naiveSql(store.kind);
  const naiveRows = async (sql: string): Promise<Array<Record<string, unknown>>> => rawRows(await store.db.knex.raw(sql, [range.from, range.to]));
  const countsBy = (rows: Array<Record<string, unknown>>, key: (row: Record<string, unknown>) => string): Map<string, number> =>
    rows.reduce((map, row) => addTo(map, key(row), numberOf(row.n)), new Map<string, number>());
  const utcDate = (row: Record<string, unknown>): string => new Date(numberOf(row.day) * DAY_MS).toISOString().slice(0, 10);

  const dayUtc = await aggregator.report(range, { groupBy: 'day', timeZone: 'UTC' });
  checkTotals('daily report (UTC)', dayUtc.totals, expected);
  checkCounts('daily report (UTC)', new Map(dayUtc.periods.map((period) => [period.period, period.totals.records])), expected.byDay);
  checkCounts('naive daily GROUP BY', countsBy(await naiveRows(naive.dayUtc), utcDate), expected.byDay);

  const dayNewYork = await aggregator.report(range, { groupBy: 'day', timeZone: 'America/New_York' });
  checkTotals('daily report (New York)', dayNewYork.totals, expected);
  expectEqual('daily report (New York), records over its periods', dayNewYork.periods.reduce((sum, period) => sum + period.totals.records, 0), RECORDS);
  expectEqual('naive daily GROUP BY (UTC−5), records', [...countsBy(await naiveRows(naive.dayNewYork), utcDate).values()].reduce((sum, n) => sum + n, 0), RECORDS);

  const byModel = await aggregator.byModel(range);
  checkCounts('byModel', new Map(byModel.map((model) => [model.model, model.records])), expected.byModel);
  checkCounts('naive GROUP BY model', countsBy(await naiveRows(naive.byModel), (row) => String(row.model)), expected.byModel);

  const month = await aggregator.report(range, { groupBy: 'month', timeZone: 'UTC' });
  checkTotals('monthly report', month.totals, expected);
  checkCounts('monthly report', new Map(month.periods.map((period) => [period.period, period.totals.records])), expected.byMonth);
  checkCounts('naive monthly GROUP BY', countsBy(await naiveRows(naive.month), (row) => String(row.month)), expected.byMonth);

  const time = (ours: () => Promise<unknown>, sql: string) =>
    headToHead({ warmup: QUERY_WARMUP, rounds: QUERY_ROUNDS, perRound: QUERY_PER_ROUND, ours, baseline: () => naiveRows(sql), toUnit: elapsedMs });
  const dayUtcTimes = await time(() => aggregator.report(range, { groupBy: 'day', timeZone: 'UTC' }), naive.dayUtc);
  const dayNewYorkTimes = await time(() => aggregator.report(range, { groupBy: 'day', timeZone: 'America/New_York' }), naive.dayNewYork);
  const byModelTimes = await time(() => aggregator.byModel(range), naive.byModel);
  const monthTimes = await time(() => aggregator.report(range, { groupBy: 'month', timeZone: 'UTC' }), naive.month);

  const loadRate = RECORDS / (load.oursMs / 1000);
  const queryNote = `${QUERY_ROUNDS * QUERY_PER_ROUND} runs each after ${QUERY_WARMUP} warm-ups, alternating; range = the last ${DAYS} days to a ragged ${new Date(NOW).toISOString().slice(11, 19)} UTC`;
  const insertTarget =
    store.kind === 'sqlite'
      ? `; target ≥ ${SQLITE_INSERT_TARGET_ROWS_PER_S.toLocaleString('en-US')} rows/s overall: ${loadRate >= SQLITE_INSERT_TARGET_ROWS_PER_S ? 'met' : 'NOT met'} (${Math.round(loadRate).toLocaleString('en-US')})`
      : '';
  const dailyTarget = `; target < ${DAILY_REPORT_TARGET_MS} ms: ${dayUtcTimes.ours.median < DAILY_REPORT_TARGET_MS ? 'met' : 'NOT met'} at the median, ${dayUtcTimes.ours.p95 < DAILY_REPORT_TARGET_MS ? 'met' : 'NOT met'} at p95`;
  return {
    comparisons: [
      compare({
        id: `${id}.insert`,
        label: `${name}: upsertUsageRecords, ${million} new records in ${BATCH.toLocaleString('en-US')}-record batches, rows/s`,
        unit: 'events/s',
        ours: summarizeRate(load.ours),
        baselineLabel: store.rawLabel,
        baseline: summarizeRate(load.baseline),
        note: `${history.batches} batches each, taking turns; rate per batch${insertTarget}`,
      }),
      compare({
        id: `${id}.reupsert`,
        label: `${name}: the same ${million} again (idempotent, nothing written), rows/s`,
        unit: 'events/s',
        ours: summarizeRate(again.ours),
        baselineLabel: 'the same baseline statement again',
        baseline: summarizeRate(again.baseline),
        note: 'row count, max(id), rollup rows and sums checked unchanged',
      }),
      compare({
        id: `${id}.report-day-utc`,
        label: `${name}: CostAggregator.report, groupBy day, UTC (${dayUtc.periods.length} days, agents and models per day)`,
        unit: 'ms',
        ours: dayUtcTimes.ours,
        baselineLabel: 'naive GROUP BY recorded_at / 86400000, agent_type, model over usage_records',
        baseline: dayUtcTimes.baseline,
        note: `${queryNote}; usage_rollups held ${before.rollupRows.toLocaleString('en-US')} rows${dailyTarget}`,
      }),
      compare({
        id: `${id}.report-day-new-york`,
        label: `${name}: the same in America/New_York`,
        unit: 'ms',
        ours: dayNewYorkTimes.ours,
        baselineLabel: 'naive GROUP BY (recorded_at − 5 h) / 86400000, agent_type, model (fixed offset, no DST)',
        baseline: dayNewYorkTimes.baseline,
        note: queryNote,
      }),
      compare({
        id: `${id}.by-model`,
        label: `${name}: CostAggregator.byModel (${byModel.length} models)`,
        unit: 'ms',
        ours: byModelTimes.ours,
        baselineLabel: 'naive GROUP BY model over usage_records',
        baseline: byModelTimes.baseline,
        note: queryNote,
      }),
      compare({
        id: `${id}.report-month`,
        label: `${name}: CostAggregator.report, groupBy month, UTC`,
        unit: 'ms',
        ours: monthTimes.ours,
        baselineLabel: `naive GROUP BY ${store.kind === 'sqlite' ? "strftime('%Y-%m')" : "to_char(…, 'YYYY-MM')"}, agent_type, model`,
        baseline: monthTimes.baseline,
        note: queryNote,
      }),
    ],
    figures: [
      { id: `${id}.load-rate`, label: `${name}: load, ${million} records / time in upsertUsageRecords`, unit: 'events/s', value: loadRate },
      { id: `${id}.load-rate-baseline`, label: `${name}: load, ${million} records / time in the baseline`, unit: 'events/s', value: RECORDS / (load.baselineMs / 1000) },
      { id: `${id}.reupsert-rate`, label: `${name}: re-upsert, ${million} records / time in upsertUsageRecords`, unit: 'events/s', value: RECORDS / (again.oursMs / 1000) },
      { id: `${id}.reupsert-rate-baseline`, label: `${name}: re-upsert, ${million} records / time in the baseline`, unit: 'events/s', value: RECORDS / (again.baselineMs / 1000) },
      {
        id: `${id}.first-read`,
        label: `${name}: first read after the load (breakdown; ${store.kind === 'sqlite' ? 'folds the 1M records into the rollups' : 'compacts the triggers’ rollup deltas'})`,
        unit: 'ms',
        value: firstReadMs,
      },
    ],
  };
}

/**
 * Storage at a million usage records, on SQLite and PostgreSQL: the load through
 * `upsertUsageRecords` in 10k batches and the same records again (idempotent), against the bare
 * driver writing an identical table; then the cost reports (`CostAggregator.report` by day in UTC
 * and New York, by month, and `byModel`) against the naive GROUP BY over the raw records. The
 * data is a seeded, realistic history (see `usage-history.ts`); every figure is checked against
 * the generator's own totals before anything is timed. PostgreSQL is skipped, with a notice, when
 * the server cannot be reached.
 */
export async function storage(): Promise<SuiteResult> {
  const began = now();
  const history = new UsageHistory({ seed: SEED, records: RECORDS, sessions: SESSIONS, days: DAYS, to: NOW, batchSize: BATCH });
  const expected = history.totals();
  const comparisons: Comparison[] = [];
  const figures: Figure[] = [];
  let skipped = '';

  const sqlite = await openSqliteStore();
  try {
    const result = await benchBackend(sqlite, history, expected);
    comparisons.push(...result.comparisons);
    figures.push(...result.figures);
  } finally {
    await sqlite.dispose();
  }

  const probe = await probePostgres();
  if (probe.ok) {
    const postgres = await openPostgresStore();
    try {
      const result = await benchBackend(postgres, history, expected);
      comparisons.push(...result.comparisons);
      figures.push(...result.figures);
    } finally {
      await postgres.dispose();
    }
  } else {
    skipped = ` — PostgreSQL SKIPPED: ${maskUrl(BENCH_DATABASE_URL)} unreachable (${probe.reason})`;
    process.stderr.write(`\n*** bench storage: PostgreSQL SKIPPED: cannot reach ${maskUrl(BENCH_DATABASE_URL)} (${probe.reason}); set RIMURU_BENCH_DATABASE_URL or start the server ***\n\n`);
  }

  return {
    suite: 'storage',
    title: `Storage: ${(RECORDS / 1e6).toLocaleString('en-US')}M usage records (${SESSIONS.toLocaleString('en-US')} sessions, ${expected.byModel.size} models, ${DAYS} days)${skipped}`,
    comparisons,
    figures,
    durationMs: elapsedMs(began),
  };
}
