import { ListMigrationSource, MIGRATIONS, MIGRATIONS_TABLE, upsertUsageRecords, type Database, type UsageRecordInput } from '../../../../kernel/services/storage';
import { CostAggregator, refreshUsageRollups, rollupBacklog } from '../../../../kernel/services/storage/aggregators';
import { CostRepository } from '../../../../kernel/services/storage/repositories';
import { generateUsage, usageRecordAt } from '../../../fixtures/storage/usage-generator';
import { referenceByModel, referenceReport, reportFigures, totalsOf } from '../../../fixtures/storage/usage-reference';
import { describeBackends, describePostgres, describeSqlite } from '../backends';

const FROM = Date.UTC(2025, 2, 1);
const DAY = 86_400_000;

async function rollupStats(db: Database): Promise<{ rows: number; keys: number; records: number; raw: number }> {
  const [rollups, keys, raw] = await Promise.all([
    db.knex('usage_rollups').count({ rows: '*' }).sum({ records: 'record_count' }).first(),
    db.knex.from(db.knex('usage_rollups').distinct('bucket', 'agent_type', 'model').as('k')).count({ n: '*' }).first(),
    db.knex('usage_records').count({ n: '*' }).first(),
  ]);
  return { rows: Number(rollups?.rows), keys: Number(keys?.n), records: Number(rollups?.records ?? 0), raw: Number(raw?.n) };
}

describeBackends('usage rollups', (backend) => {
  let db: Database;
  let costs: CostRepository;
  let aggregator: CostAggregator;

  beforeAll(async () => {
    db = await backend.connect();
    costs = new CostRepository(db);
    aggregator = new CostAggregator(db);
  });
  beforeEach(() => backend.reset());

  it('stay exact whatever path the records took: bulk, raw upsert, corrections, keep-larger and deletes, before and after a refresh', async () => {
    const data = generateUsage({ seed: 42, records: 2_000, from: FROM, to: FROM + 20 * DAY, wholeMinutes: false });
    const [folded, loose] = [data.records.slice(0, 1_200), data.records.slice(1_200)];
    await costs.saveMany(folded);
    await upsertUsageRecords(db, loose);
    // Corrections of folded and not-yet-folded records, through both write paths.
    const larger = (record: UsageRecordInput): UsageRecordInput => ({ ...record, outputTokens: record.outputTokens + 1_000, costUsd: record.costUsd + 0.5 });
    const grown = [...folded.slice(0, 50), ...loose.slice(0, 50)].map(larger);
    await upsertUsageRecords(db, grown, { conflict: 'keep-larger' });
    const moved = { ...(folded[60] as UsageRecordInput), recordedAt: FROM + 25 * DAY, model: 'moved-model' };
    await costs.save(moved);
    const deleted = [folded[70], loose[70]] as UsageRecordInput[];
    for (const record of deleted) {
      const stored = await costs.findByDedupKey(record.dedupKey);
      await costs.delete(stored?.id ?? -1);
    }
    const byKey = new Map(data.records.map((record) => [record.dedupKey, record]));
    for (const record of [...grown, moved]) byKey.set(record.dedupKey, record);
    for (const record of deleted) byKey.delete(record.dedupKey);
    const expected = [...byKey.values()];

    const check = async (): Promise<void> => {
      expect(await aggregator.breakdown()).toEqual(totalsOf(expected));
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'Asia/Kathmandu' });
      expect(reportFigures(report)).toEqual(referenceReport(expected, 'day', 'Asia/Kathmandu'));
      expect(await aggregator.byModel()).toEqual(referenceByModel(expected));
    };
    await check();
    await refreshUsageRollups(db);
    await check();
    const stats = await rollupStats(db);
    expect(stats.records).toBe(stats.raw); // every record is in the rollups now
    expect(stats.rows).toBe(stats.keys); // and compaction left one row per key
    expect(await rollupBacklog(db)).toBe(0);
  });

  it('are filled from the records already stored when migration 0002 runs', async () => {
    const fresh = await backend.connectIsolated({ migrate: false });
    await fresh.knex.migrate.latest({ migrationSource: new ListMigrationSource(MIGRATIONS.slice(0, 1)), tableName: MIGRATIONS_TABLE });
    const data = generateUsage({ seed: 9, records: 500, from: FROM, to: FROM + 3 * DAY });
    await upsertUsageRecords(fresh, data.records);
    expect((await fresh.runMigrations()).applied).toEqual(MIGRATIONS.slice(1).map((m) => m.name));
    expect(await rollupBacklog(fresh)).toBe(0);
    expect(await rollupStats(fresh)).toMatchObject({ records: 500, raw: 500 });
    expect(await new CostAggregator(fresh).breakdown()).toEqual(totalsOf(data.records));
  });
});

describeSqlite('usage rollups', (backend) => {
  let db: Database;

  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  it('fold records above the watermark on refresh, and merge the deltas of buckets folded twice', async () => {
    const first = generateUsage({ seed: 1, records: 300, from: FROM, to: FROM + DAY }).records;
    await upsertUsageRecords(db, first);
    expect(await rollupBacklog(db)).toBe(300);
    expect(await refreshUsageRollups(db)).toEqual({ folded: expect.any(Number), compactedBuckets: 0, skipped: false });
    expect(await rollupBacklog(db)).toBe(0);
    // More records in the same day: their fold overlaps buckets that already have rows.
    const second = generateUsage({ seed: 2, records: 300, from: FROM, to: FROM + DAY }).records;
    await upsertUsageRecords(db, second);
    const refresh = await refreshUsageRollups(db);
    expect(refresh.compactedBuckets).toBeGreaterThan(0);
    expect(await rollupStats(db)).toEqual({ rows: expect.any(Number), keys: expect.any(Number), records: 600, raw: 600 });
    const stats = await rollupStats(db);
    expect(stats.rows).toBe(stats.keys);
    expect(await new CostAggregator(db).breakdown()).toEqual(totalsOf([...first, ...second]));
  });

  it('let a read catch up a large backlog itself, so reports stay fast whoever wrote the records', async () => {
    const { records } = generateUsage({ seed: 3, records: 25_000, from: FROM, to: FROM + 10 * DAY });
    await upsertUsageRecords(db, records);
    expect(await rollupBacklog(db)).toBe(25_000);
    expect((await new CostAggregator(db).breakdown()).records).toBe(25_000);
    expect(await rollupBacklog(db)).toBe(0);
  });
});

describePostgres('usage rollups', (backend) => {
  let db: Database;

  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  it('are kept current by the triggers in the writer’s transaction, and compaction merges the deltas', async () => {
    const records = generateUsage({ seed: 4, records: 1_000, from: FROM, to: FROM + 2 * DAY }).records;
    for (let start = 0; start < records.length; start += 100) await upsertUsageRecords(db, records.slice(start, start + 100));
    const before = await rollupStats(db);
    expect(before).toMatchObject({ records: 1_000, raw: 1_000 });
    expect(before.rows).toBeGreaterThan(before.keys);
    expect((await refreshUsageRollups(db)).compactedBuckets).toBeGreaterThan(0);
    const after = await rollupStats(db);
    expect(after).toMatchObject({ records: 1_000, rows: before.keys, keys: before.keys });
    // A rolled-back write leaves no delta behind.
    await expect(
      db.transaction(async (trx) => {
        await upsertUsageRecords(trx, [usageRecordAt('ghost', FROM, { costUsd: 100 })]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await new CostAggregator(db).breakdown()).toEqual(totalsOf(records));
  });

  it('skip compaction while another kernel compacts', async () => {
    await upsertUsageRecords(db, [usageRecordAt('a', FROM)]);
    const other = await backend.connectSecond();
    await other.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(hashtext(current_schema() || '.usage_rollups'))`);
      expect(await refreshUsageRollups(db)).toEqual({ folded: 0, compactedBuckets: 0, skipped: true });
    });
    expect((await refreshUsageRollups(db)).skipped).toBe(false);
  });

  it('count every record once when two kernels write the same buckets at the same time', async () => {
    const other = await backend.connectSecond();
    const { records } = generateUsage({ seed: 6, records: 4_000, from: FROM, to: FROM + 2 * 3_600_000 });
    // Overlapping halves: both kernels ingest records 1000–2999.
    const mine = records.slice(0, 3_000);
    const theirs = records.slice(1_000);
    const writer = (target: Database, batch: UsageRecordInput[]): Promise<unknown> =>
      (async () => {
        for (let start = 0; start < batch.length; start += 250) await new CostRepository(target).saveMany(batch.slice(start, start + 250));
      })();
    await Promise.all([writer(db, mine), writer(other, theirs)]);
    expect(await rollupStats(db)).toMatchObject({ records: 4_000, raw: 4_000 });
    expect(await new CostAggregator(db).breakdown()).toEqual(totalsOf(records));
    await refreshUsageRollups(db);
    expect(await new CostAggregator(db).byModel()).toEqual(referenceByModel(records));
  });
});
