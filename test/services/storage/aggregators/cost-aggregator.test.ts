import { CostAggregator } from '../../../../kernel/services/storage/aggregators';
import { upsertUsageRecords, type Database, type UsageRecordInput } from '../../../../kernel/services/storage';
import { CostRepository, SessionRepository } from '../../../../kernel/services/storage/repositories';
import type { CostReport, ReportGrouping } from '../../../../kernel/services/storage/types';
import { generateUsage, usageRecordAt } from '../../../fixtures/storage/usage-generator';
import { matching, referenceByAgent, referenceByModel, referenceReport, reportFigures, totalsOf } from '../../../fixtures/storage/usage-reference';
import { describeBackends } from '../backends';

const at = (iso: string): number => Date.parse(iso);

const recordsPer = (report: CostReport): Record<string, number> =>
  Object.fromEntries(report.periods.map((period) => [period.period, period.totals.records]));

// Filled by each backend's suite; compared once both ran.
const generatedResults: Partial<Record<'sqlite' | 'postgres', unknown>> = {};

describeBackends('CostAggregator', (backend) => {
  let db: Database;
  let costs: CostRepository;
  let aggregator: CostAggregator;

  beforeAll(async () => {
    db = await backend.connect();
    costs = new CostRepository(db);
    aggregator = new CostAggregator(db);
  });
  beforeEach(() => backend.reset());

  // Each bucketing case runs once with the records folded into the rollups and once with them
  // only in usage_records (SQLite: above the watermark; PostgreSQL: the triggers fold them anyway).
  const paths: Array<[string, (records: UsageRecordInput[]) => Promise<unknown>]> = [
    ['through the rollups', (records) => costs.saveMany(records)],
    ['before a refresh', (records) => upsertUsageRecords(db, records)],
  ];

  describe.each(paths)('time zones, %s', (_, store) => {
    it('cuts UTC days at midnight: a record at 00:00:00.000 opens the next day, one at 23:59:59.999 closes the previous', async () => {
      await store([
        usageRecordAt('a', at('2025-02-28T23:59:59.999Z')),
        usageRecordAt('b', at('2025-03-01T00:00:00.000Z')),
        usageRecordAt('c', at('2025-03-01T12:00:00.000Z')),
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'UTC' });
      expect(recordsPer(report)).toEqual({ '2025-02-28': 1, '2025-03-01': 2 });
      expect(report.periods[1]).toMatchObject({ startsAt: at('2025-03-01T00:00:00Z'), endsAt: at('2025-03-02T00:00:00Z') });
    });

    it('follows America/New_York across the March DST jump: the 9th lasts 23 hours', async () => {
      await store([
        usageRecordAt('a', at('2025-03-09T04:59:59.999Z')), // Mar 8, 23:59:59.999 EST
        usageRecordAt('b', at('2025-03-09T05:00:00.000Z')), // Mar 9, 00:00 EST
        usageRecordAt('c', at('2025-03-09T07:30:00.000Z')), // Mar 9, 03:30 EDT (02:00–03:00 never happened)
        usageRecordAt('d', at('2025-03-10T03:59:59.999Z')), // Mar 9, 23:59:59.999 EDT
        usageRecordAt('e', at('2025-03-10T04:00:00.000Z')), // Mar 10, 00:00 EDT
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'America/New_York' });
      expect(recordsPer(report)).toEqual({ '2025-03-08': 1, '2025-03-09': 3, '2025-03-10': 1 });
      const ninth = report.periods[1];
      expect(ninth).toMatchObject({ startsAt: at('2025-03-09T05:00:00Z'), endsAt: at('2025-03-10T04:00:00Z') });
      expect((ninth?.endsAt ?? 0) - (ninth?.startsAt ?? 0)).toBe(23 * 3_600_000);
    });

    it('puts 23:30 and 00:30 of Asia/Kolkata (+05:30) on different days, and local midnight on the new one', async () => {
      await store([
        usageRecordAt('a', at('2025-03-01T18:00:00Z')), // Mar 1, 23:30 IST
        usageRecordAt('b', at('2025-03-01T18:29:59.999Z')), // Mar 1, 23:59:59.999 IST
        usageRecordAt('c', at('2025-03-01T18:30:00Z')), // Mar 2, 00:00 IST
        usageRecordAt('d', at('2025-03-01T19:00:00Z')), // Mar 2, 00:30 IST
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'Asia/Kolkata' });
      expect(recordsPer(report)).toEqual({ '2025-03-01': 2, '2025-03-02': 2 });
      expect(report.periods[1]).toMatchObject({ startsAt: at('2025-03-01T18:30:00Z'), endsAt: at('2025-03-02T18:30:00Z') });
      // The same records in UTC are all on March 1st.
      expect(recordsPer(await aggregator.report({}, { groupBy: 'day', timeZone: 'UTC' }))).toEqual({ '2025-03-01': 4 });
    });

    it('puts 23:30 and 00:30 of Asia/Kathmandu (+05:45) on different days', async () => {
      await store([
        usageRecordAt('a', at('2025-03-01T17:45:00Z')), // Mar 1, 23:30 NPT
        usageRecordAt('b', at('2025-03-01T18:14:59.999Z')), // Mar 1, 23:59:59.999 NPT
        usageRecordAt('c', at('2025-03-01T18:15:00Z')), // Mar 2, 00:00 NPT
        usageRecordAt('d', at('2025-03-01T18:45:00Z')), // Mar 2, 00:30 NPT
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'Asia/Kathmandu' });
      expect(recordsPer(report)).toEqual({ '2025-03-01': 2, '2025-03-02': 2 });
      expect(report.periods[1]).toMatchObject({ startsAt: at('2025-03-01T18:15:00Z'), endsAt: at('2025-03-02T18:15:00Z') });
    });

    it('starts ISO weeks on Monday in the zone: Sunday 23:00 and Monday 00:30 in New York are different weeks', async () => {
      await store([
        usageRecordAt('a', at('2025-03-03T05:00:00Z')), // Mon Mar 3, 00:00 EST: first instant of its week
        usageRecordAt('b', at('2025-03-10T03:00:00Z')), // Sun Mar 9, 23:00 EDT
        usageRecordAt('c', at('2025-03-10T04:30:00Z')), // Mon Mar 10, 00:30 EDT
      ]);
      const report = await aggregator.report({}, { groupBy: 'week', timeZone: 'America/New_York' });
      expect(recordsPer(report)).toEqual({ '2025-03-03': 2, '2025-03-10': 1 });
      // The DST week is an hour short.
      expect(report.periods[0]).toMatchObject({ startsAt: at('2025-03-03T05:00:00Z'), endsAt: at('2025-03-10T04:00:00Z') });
    });

    it('cuts months at local midnight of the 1st (Asia/Kolkata)', async () => {
      await store([
        usageRecordAt('a', at('2025-03-31T18:29:59.999Z')), // Mar 31, 23:59:59.999 IST
        usageRecordAt('b', at('2025-03-31T18:30:00Z')), // Apr 1, 00:00 IST
      ]);
      const report = await aggregator.report({}, { groupBy: 'month', timeZone: 'Asia/Kolkata' });
      expect(recordsPer(report)).toEqual({ '2025-03': 1, '2025-04': 1 });
      expect(report.periods[1]).toMatchObject({ startsAt: at('2025-03-31T18:30:00Z'), endsAt: at('2025-04-30T18:30:00Z') });
    });

    it('starts a day whose midnight was skipped at the DST change (America/Santiago, 8 September 2024)', async () => {
      await store([
        usageRecordAt('a', at('2024-09-08T03:59:59.999Z')), // Sep 7, 23:59:59.999 -04
        usageRecordAt('b', at('2024-09-08T04:00:00Z')), // Sep 8, 01:00 -03: the first instant of the 8th
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'America/Santiago' });
      expect(recordsPer(report)).toEqual({ '2024-09-07': 1, '2024-09-08': 1 });
      expect(report.periods[1]).toMatchObject({ startsAt: at('2024-09-08T04:00:00Z'), endsAt: at('2024-09-09T03:00:00Z') });
    });

    it('stays exact in a zone whose offset is not whole quarter hours (Africa/Monrovia in 1971, −0:44:30): raw records only', async () => {
      const records = generateUsage({ seed: 1971, records: 300, from: at('1971-12-20T00:00:00Z'), to: at('1972-01-20T00:00:00Z'), wholeMinutes: false }).records;
      await store(records);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'Africa/Monrovia' });
      expect(reportFigures(report)).toEqual(referenceReport(records, 'day', 'Africa/Monrovia'));
    });

    it('counts a range [from, to) exactly, even when it cuts quarter hours: from included, to excluded', async () => {
      const from = at('2025-03-01T10:07:30Z');
      const to = at('2025-03-01T12:52:10Z');
      await store([
        usageRecordAt('before', from - 1),
        usageRecordAt('at-from', from),
        usageRecordAt('same-quarter-as-from', at('2025-03-01T10:14:00Z')),
        usageRecordAt('middle', at('2025-03-01T11:00:00Z')),
        usageRecordAt('same-quarter-as-to', at('2025-03-01T12:45:00Z')),
        usageRecordAt('just-before-to', to - 1),
        usageRecordAt('at-to', to),
      ]);
      const report = await aggregator.report({ from, to }, { groupBy: 'day', timeZone: 'UTC' });
      expect(report.totals.records).toBe(5);
      expect((await aggregator.breakdown({ from, to })).records).toBe(5);
      // A range inside one quarter hour.
      expect((await aggregator.breakdown({ from: at('2025-03-01T12:46:00Z'), to })).records).toBe(1);
    });
  });

  describe('reports', () => {
    it('returns no periods and zero totals for an empty store, an empty range and a range without records', async () => {
      const zero = { records: 0, inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, totalTokens: 0, costUsd: 0 };
      const empty = await aggregator.report({}, { groupBy: 'day', timeZone: 'UTC' });
      expect(empty).toEqual({ groupBy: 'day', timeZone: 'UTC', from: null, to: null, periods: [], totals: zero });
      await costs.saveMany([usageRecordAt('a', at('2025-03-01T10:00:00Z'))]);
      const t = at('2025-03-01T10:00:00Z');
      expect((await aggregator.report({ from: t, to: t }, { groupBy: 'day' })).periods).toEqual([]);
      expect((await aggregator.report({ from: at('2025-04-01T00:00:00Z') }, { groupBy: 'month', timeZone: 'Asia/Kolkata' })).periods).toEqual([]);
      expect(await aggregator.breakdown({ to: t })).toEqual(zero);
      expect(await aggregator.byModel({ from: t + 1 })).toEqual([]);
      expect(await aggregator.byAgent({ from: t + 1 })).toEqual([]);
    });

    it('gives each period totals of every token kind, and per-agent and per-model rows, most expensive first', async () => {
      const day = at('2025-03-01T08:00:00Z');
      await costs.saveMany([
        usageRecordAt('a', day, { agentType: 'claude-code', model: 'opus', inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3, cacheReadTokens: 4, reasoningTokens: 1, costUsd: 0.5 }),
        usageRecordAt('b', day + 60_000, { agentType: 'codex', model: 'gpt-5', inputTokens: 10, outputTokens: 20, cacheWriteTokens: 30, cacheReadTokens: 40, reasoningTokens: 5, costUsd: 0.25 }),
        usageRecordAt('c', day + 120_000, { agentType: 'codex', model: 'opus', inputTokens: 100, outputTokens: 200, cacheWriteTokens: 300, cacheReadTokens: 400, reasoningTokens: 50, costUsd: 1 }),
      ]);
      const report = await aggregator.report({}, { groupBy: 'day', timeZone: 'Europe/Paris' });
      expect(report.periods).toHaveLength(1);
      const [period] = report.periods;
      expect(period?.totals).toEqual({ records: 3, inputTokens: 111, outputTokens: 222, cacheWriteTokens: 333, cacheReadTokens: 444, reasoningTokens: 56, totalTokens: 1110, costUsd: 1.75 });
      expect(period?.agents.map((row) => [row.agentType, row.records, row.costUsd])).toEqual([['codex', 2, 1.25], ['claude-code', 1, 0.5]]);
      expect(period?.models.map((row) => [row.model, row.totalTokens, row.costUsd])).toEqual([['opus', 1010, 1.5], ['gpt-5', 100, 0.25]]);
      expect(report.totals).toEqual(period?.totals);
    });

    it('narrows a report and a breakdown by agents, models, project and session', async () => {
      const sessions = new SessionRepository(db);
      await sessions.save({ id: 'claude-code:p1', agentId: 'claude-code', agentType: 'claude-code', externalId: 'p1', projectPath: '/work/alpha', startedAt: 0 });
      await sessions.save({ id: 'codex:p2', agentId: 'codex', agentType: 'codex', externalId: 'p2', projectPath: '/work/beta', startedAt: 0 });
      const t = at('2025-03-01T08:00:00Z');
      await costs.saveMany([
        usageRecordAt('a', t, { sessionId: 'claude-code:p1', agentType: 'claude-code', model: 'opus', costUsd: 1 }),
        usageRecordAt('b', t, { sessionId: 'codex:p2', agentType: 'codex', model: 'gpt-5', costUsd: 2 }),
        usageRecordAt('c', t, { sessionId: 'codex:p2', agentType: 'codex', model: 'opus', costUsd: 4 }),
      ]);
      const costOf = async (filter: Parameters<CostAggregator['breakdown']>[0]): Promise<number> => (await aggregator.breakdown(filter)).costUsd;
      expect(await costOf({})).toBe(7);
      expect(await costOf({ agents: ['codex'] })).toBe(6);
      expect(await costOf({ agents: [] })).toBe(0);
      expect(await costOf({ models: ['opus'] })).toBe(5);
      expect(await costOf({ agents: ['codex'], models: ['opus'] })).toBe(4);
      expect(await costOf({ projectPath: '/work/alpha' })).toBe(1);
      expect(await costOf({ sessionId: 'codex:p2', models: ['gpt-5'] })).toBe(2);
      const report = await aggregator.report({}, { groupBy: 'month', timeZone: 'UTC', filter: { projectPath: '/work/beta' } });
      expect(report.totals.costUsd).toBe(6);
      expect(report.periods[0]?.agents.map((row) => row.agentType)).toEqual(['codex']);
    });

    it('refuses an unknown time zone, a reversed range and an unknown grouping with E1009', async () => {
      await expect(aggregator.report({}, { groupBy: 'day', timeZone: 'Mars/Olympus_Mons' })).rejects.toMatchObject({ code: 'E1009', message: expect.stringContaining('Mars/Olympus_Mons') });
      await expect(aggregator.report({ from: 10, to: 5 }, { groupBy: 'day' })).rejects.toMatchObject({ code: 'E1009' });
      await expect(aggregator.report({}, { groupBy: 'year' as ReportGrouping })).rejects.toMatchObject({ code: 'E1009' });
      await expect(aggregator.breakdown({ from: 10, to: 5 })).rejects.toMatchObject({ code: 'E1009' });
    });
  });

  describe('generated data against the record-by-record reference', () => {
    // Two months across the US DST change, with ragged range ends.
    const data = generateUsage({ seed: 20250309, records: 3_000, from: at('2025-02-10T00:00:00Z'), to: at('2025-04-10T00:00:00Z'), wholeMinutes: false });
    const range = { from: at('2025-02-12T07:13:27.500Z'), to: at('2025-04-07T22:58:01Z') };
    const cases: Array<[ReportGrouping, string]> = [
      ['day', 'UTC'],
      ['day', 'America/New_York'],
      ['day', 'Asia/Kolkata'],
      ['day', 'Asia/Kathmandu'],
      ['week', 'America/New_York'],
      ['week', 'Asia/Kathmandu'],
      ['month', 'Asia/Kolkata'],
      ['month', 'Pacific/Chatham'],
    ];

    beforeEach(async () => {
      const sessions = new SessionRepository(db);
      for (const session of data.sessions) await sessions.save(session);
      await costs.saveMany(data.records);
    });

    it('matches the reference for every grouping and zone, whole and within a ragged range', async () => {
      const results: Record<string, unknown> = {};
      for (const [groupBy, timeZone] of cases) {
        const whole = await aggregator.report({}, { groupBy, timeZone });
        expect(reportFigures(whole)).toEqual(referenceReport(data.records, groupBy, timeZone));
        const ranged = await aggregator.report(range, { groupBy, timeZone });
        expect(reportFigures(ranged)).toEqual(referenceReport(matching(data.records, data.sessions, range), groupBy, timeZone));
        results[`${groupBy} ${timeZone}`] = ranged;
      }
      const inRange = matching(data.records, data.sessions, range);
      expect(await aggregator.byModel(range)).toEqual(referenceByModel(inRange));
      expect(await aggregator.byAgent(range)).toEqual(referenceByAgent(inRange));
      const filter = { ...range, agents: ['codex', 'opencode'], models: ['gpt-5-codex', 'claude-opus-4-1'] };
      expect(await aggregator.breakdown(filter)).toEqual(totalsOf(matching(data.records, data.sessions, filter)));
      const projectFilter = { ...range, projectPath: '/work/beta' };
      expect(await aggregator.breakdown(projectFilter)).toEqual(totalsOf(matching(data.records, data.sessions, projectFilter)));
      results.byModel = await aggregator.byModel(range);
      results.byAgent = await aggregator.byAgent(range);
      generatedResults[backend.kind] = results;
    });
  });
});

describe('CostAggregator on both backends', () => {
  it('gives identical reports on SQLite and PostgreSQL for the same generated data', () => {
    if (generatedResults.postgres === undefined && process.env.CI !== 'true') return; // PostgreSQL skipped (reported above)
    expect(generatedResults.sqlite).toBeDefined();
    expect(generatedResults.postgres).toEqual(generatedResults.sqlite);
  });
});
