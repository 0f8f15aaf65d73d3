import type { Database } from '../../../../kernel/services/storage';
import { CostAggregator } from '../../../../kernel/services/storage/aggregators';
import { CostRepository, SessionRepository } from '../../../../kernel/services/storage/repositories';
import { generateUsage, usageRecordAt } from '../../../fixtures/storage/usage-generator';
import { matching, referenceByModel, totalsOf } from '../../../fixtures/storage/usage-reference';
import { describeBackends } from '../backends';
import { captureLogger } from './capture-logger';

const T = Date.UTC(2025, 2, 1, 9);
const DAY_MS = 86_400_000;

describeBackends('CostRepository', (backend) => {
  let db: Database;
  let costs: CostRepository;

  beforeAll(async () => {
    db = await backend.connect();
    costs = new CostRepository(db);
  });
  beforeEach(() => backend.reset());

  it('saves a record and reads it back by id and by dedup key, flags parsed', async () => {
    const saved = await costs.save(usageRecordAt('k1', T, { flags: ['fallback-model'], cacheWrite1hTokens: 0, reasoningTokens: 3 }));
    expect(saved).toEqual({
      id: expect.any(Number),
      dedupKey: 'k1',
      sessionId: 'claude-code:hand',
      agentType: 'claude-code',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      inputTokens: 100,
      outputTokens: 10,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      reasoningTokens: 3,
      costUsd: 0.01,
      costSource: 'calculated',
      recordedAt: T,
      flags: ['fallback-model'],
    });
    expect(await costs.findById(saved.id)).toEqual(saved);
    expect(await costs.findByDedupKey('k1')).toEqual(saved);
    expect(await costs.findById(saved.id + 1)).toBeNull();
  });

  it('save replaces the record with the same dedup key (a correction), and the sums follow', async () => {
    const first = await costs.save(usageRecordAt('k1', T, { costUsd: 1 }));
    await costs.saveMany([usageRecordAt('k2', T, { costUsd: 2 })]); // folds k1 and k2 into the rollups
    const corrected = await costs.save(usageRecordAt('k1', T + 3_600_000, { costUsd: 5, model: 'claude-opus-4-1' }));
    expect(corrected.id).toBe(first.id);
    expect(await costs.findAll()).toHaveLength(2);
    expect(await costs.sumCostsSince(0)).toBe(7);
    expect((await costs.aggregateByModel()).map((row) => [row.model, row.records, row.costUsd])).toEqual([
      ['claude-opus-4-1', 1, 5],
      ['claude-sonnet-4-5', 1, 2],
    ]);
  });

  it('saveMany is idempotent: re-ingesting the same records changes nothing', async () => {
    const { records } = generateUsage({ seed: 7, records: 500, from: T, to: T + 7 * 86_400_000 });
    expect(await costs.saveMany(records)).toEqual({ inserted: 500, updated: 0, unchanged: 0 });
    const before = { rows: await costs.findAll(), totals: await new CostAggregator(db).breakdown() };
    expect(await costs.saveMany(records)).toEqual({ inserted: 0, updated: 0, unchanged: 500 });
    expect(await costs.saveMany(records.slice(0, 100), { conflict: 'keep-larger' })).toEqual({ inserted: 0, updated: 0, unchanged: 100 });
    expect(await costs.findAll()).toEqual(before.rows);
    expect(await new CostAggregator(db).breakdown()).toEqual(before.totals);
    expect(before.totals).toEqual(totalsOf(records));
  });

  it('writes inside a caller’s transaction: committed together, or rolled back leaving neither records nor rollups', async () => {
    const committed = generateUsage({ seed: 21, records: 200, from: T, to: T + DAY_MS }).records;
    await db.transaction((trx) => new CostRepository(trx).saveMany(committed));
    await expect(
      db.transaction(async (trx) => {
        await new CostRepository(trx).saveMany([usageRecordAt('ghost', T, { costUsd: 100 })]);
        throw new Error('cursor write failed');
      }),
    ).rejects.toThrow('cursor write failed');
    expect(await costs.findByDedupKey('ghost')).toBeNull();
    expect(await new CostAggregator(db).breakdown()).toEqual(totalsOf(committed));
    expect(await costs.saveMany([usageRecordAt('after', T, { costUsd: 1 })])).toMatchObject({ inserted: 1 });
    expect(await costs.sumCostsSince(T)).toBe(totalsOf([...committed, usageRecordAt('after', T, { costUsd: 1 })]).costUsd);
  });

  it('keep-larger replaces a record by a larger one, and the sums count only the larger', async () => {
    await costs.saveMany([usageRecordAt('stream', T, { outputTokens: 10, costUsd: 0.1 })]);
    expect(await costs.saveMany([usageRecordAt('stream', T, { outputTokens: 500, costUsd: 0.5 })], { conflict: 'keep-larger' })).toMatchObject({ updated: 1 });
    expect(await costs.sumCostsSince(T)).toBe(0.5);
    expect((await costs.findAll()).map((row) => row.outputTokens)).toEqual([500]);
  });

  it('lists chronologically by session, agent and model, within a range and paged', async () => {
    await costs.saveMany([
      usageRecordAt('c', T + 2, { sessionId: 's2', agentType: 'codex', model: 'gpt-5' }),
      usageRecordAt('a', T, { sessionId: 's1' }),
      usageRecordAt('b', T + 1, { sessionId: 's1', model: 'gpt-5' }),
    ]);
    const keys = (rows: Array<{ dedupKey: string }>): string[] => rows.map((row) => row.dedupKey);
    expect(keys(await costs.findAll())).toEqual(['a', 'b', 'c']);
    expect(keys(await costs.findAll({ from: T + 1, to: T + 2 }))).toEqual(['b']);
    expect(keys(await costs.findAll({ limit: 1, offset: 2 }))).toEqual(['c']);
    expect(keys(await costs.findBySession('s1'))).toEqual(['a', 'b']);
    expect(keys(await costs.findByAgent('codex'))).toEqual(['c']);
    expect(keys(await costs.findByAgent('claude-code', { to: T + 1 }))).toEqual(['a']);
    expect(keys(await costs.findByModel('gpt-5'))).toEqual(['b', 'c']);
  });

  it('deletes a record, and the sums forget it (folded or not)', async () => {
    await costs.saveMany([usageRecordAt('a', T, { costUsd: 1 }), usageRecordAt('b', T, { costUsd: 2 })]);
    const late = await costs.save(usageRecordAt('c', T, { costUsd: 4 }));
    const folded = await costs.findByDedupKey('a');
    expect(await costs.delete(folded?.id ?? -1)).toBe(true);
    expect(await costs.delete(late.id)).toBe(true);
    expect(await costs.delete(late.id)).toBe(false);
    expect(await costs.sumCostsSince(0)).toBe(2);
    expect(await new CostAggregator(db).breakdown()).toMatchObject({ records: 1, inputTokens: 100 });
  });

  it('sums costs since a time, narrowed by agents, models, project or session', async () => {
    const data = generateUsage({ seed: 11, records: 2_000, from: T, to: T + 30 * 86_400_000, wholeMinutes: false });
    const sessions = new SessionRepository(db);
    for (const session of data.sessions) await sessions.save(session);
    await costs.saveMany(data.records);
    const since = T + 12 * 86_400_000 + 123_456;
    const costOf = (filter: Parameters<typeof matching>[2]): number => totalsOf(matching(data.records, data.sessions, filter)).costUsd;
    expect(await costs.sumCostsSince(since)).toBe(costOf({ from: since }));
    expect(await costs.sumCostsSince(new Date(since), { agents: ['codex'] })).toBe(costOf({ from: since, agents: ['codex'] }));
    expect(await costs.sumCostsSince(since, { models: ['gpt-5-codex'], agents: ['codex', 'claude-code'] })).toBe(
      costOf({ from: since, models: ['gpt-5-codex'], agents: ['codex', 'claude-code'] }),
    );
    expect(await costs.sumCostsSince(since, { projectPath: '/work/alpha' })).toBe(costOf({ from: since, projectPath: '/work/alpha' }));
    const sessionId = data.sessions[3]?.id ?? '';
    expect(await costs.sumCostsSince(0, { sessionId })).toBe(costOf({ sessionId }));
    expect(await costs.sumCostsSince(T + 31 * 86_400_000)).toBe(0);
    const range = { from: since, to: since + 5 * 86_400_000 };
    expect(await costs.aggregateByModel(range)).toEqual(referenceByModel(matching(data.records, data.sessions, range)));
  });

  it('refuses invalid records with E1008, writing none of a batch', async () => {
    await expect(costs.save(usageRecordAt('bad', T, { inputTokens: -1 }))).rejects.toMatchObject({ code: 'E1008' });
    await expect(costs.saveMany([usageRecordAt('ok', T), usageRecordAt('bad', Number.NaN)])).rejects.toMatchObject({ code: 'E1008' });
    expect(await costs.findAll()).toEqual([]);
    await expect(costs.sumCostsSince(Number.NaN)).rejects.toMatchObject({ code: 'E1009' });
  });

  it('still lists a record whose flags were corrupted, and logs it', async () => {
    const { logger, lines } = captureLogger();
    const logged = new CostRepository(db, { logger });
    const saved = await logged.save(usageRecordAt('k', T, { flags: ['x'] }));
    await db.knex('usage_records').update({ flags: '["x", 2' });
    expect((await logged.findAll())[0]?.flags).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ table: 'usage_records', column: 'flags', id: saved.id })]);
  });
});
