import pino from 'pino';
import { HookBus } from '../../../kernel/core/hooks';
import type { HookPayloads } from '../../../sdk/src/hooks';
import { BudgetService, resolveBudgets, windowAt } from '../../../kernel/services/budgets';
import { upsertUsageRecords, type Database } from '../../../kernel/services/storage';
import { describeBackends } from '../storage/backends';

const quiet = pino({ level: 'silent' });
const NOON = Date.parse('2026-03-04T12:00:00.000Z');
const HOUR = 3_600_000;

/** A clock tests move by hand. */
function fixedClock(start: number): { now(): number; set(t: number): void } {
  let t = start;
  return { now: () => t, set: (next) => (t = next) };
}

let seq = 0;
/** Writes one reported-cost record. */
async function spend(db: Database, costUsd: number, at: number, agentType = 'claude-code', session = 's1'): Promise<void> {
  seq += 1;
  await upsertUsageRecords(db, [
    {
      dedupKey: `budget-test-${seq}`,
      sessionId: `${agentType}:${session}`,
      agentType,
      model: 'claude-sonnet-4-5',
      inputTokens: 1,
      outputTokens: 1,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      costUsd,
      costSource: 'reported',
      recordedAt: at,
    },
  ]);
}

/** A bus that counts every CostThreshold it is given. */
function alertingBus(): { bus: HookBus; alerts: Array<HookPayloads['CostThreshold']> } {
  const bus = new HookBus();
  const alerts: Array<HookPayloads['CostThreshold']> = [];
  bus.register({ id: 'count', owner: 'test', hook: 'CostThreshold', priority: 1, handle: (payload) => (alerts.push(payload), { type: 'continue' }) });
  return { bus, alerts };
}

describeBackends('BudgetService', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  function service(budgets: unknown, bus: HookBus, clock: { now(): number }, database: Database = db): BudgetService {
    return new BudgetService({ database, hookBus: bus, budgets: resolveBudgets(budgets, 'UTC'), logger: quiet, clock });
  }

  it('fires 80% then 100% of a daily budget once each, with spend, period and projection', async () => {
    const clock = fixedClock(NOON);
    const { bus, alerts } = alertingBus();
    const budgets = service({ daily: 10 }, bus, clock);
    await spend(db, 5, NOON - HOUR);
    expect(await budgets.evaluate()).toEqual([]);
    await spend(db, 3.5, NOON - HOUR);
    await budgets.evaluate();
    expect(alerts).toEqual([{ budget: 'daily', period: '2026-03-04', limitUsd: 10, spentUsd: 8.5, threshold: 0.8, projectedUsd: 17 }]);
    await spend(db, 0.5, NOON);
    await budgets.evaluate();
    expect(alerts).toHaveLength(1);
    await spend(db, 1.5, NOON);
    await budgets.evaluate();
    await budgets.evaluate();
    expect(alerts.map((a) => [a.threshold, a.spentUsd])).toEqual([
      [0.8, 8.5],
      [1, 10.5],
    ]);
  });

  it('fires both thresholds in order when one jump crosses both, and again the next day', async () => {
    const clock = fixedClock(NOON);
    const { bus, alerts } = alertingBus();
    const budgets = service({ daily: 10 }, bus, clock);
    await spend(db, 12, NOON - HOUR);
    await budgets.evaluate();
    expect(alerts.map((a) => a.threshold)).toEqual([0.8, 1]);
    clock.set(NOON + 24 * HOUR);
    await budgets.evaluate();
    expect(alerts).toHaveLength(2);
    await spend(db, 9, NOON + 23 * HOUR);
    await budgets.evaluate();
    expect(alerts.slice(2)).toEqual([expect.objectContaining({ budget: 'daily', period: '2026-03-05', threshold: 0.8, spentUsd: 9 })]);
  });

  it('does not fire again after a restart (a new service over the same store)', async () => {
    const clock = fixedClock(NOON);
    const first = alertingBus();
    await spend(db, 9, NOON - HOUR);
    await service({ daily: 10 }, first.bus, clock).evaluate();
    expect(first.alerts).toHaveLength(1);
    const second = alertingBus();
    await service({ daily: 10 }, second.bus, clock).evaluate();
    expect(second.alerts).toEqual([]);
  });

  it('fires once when two processes (two connections) evaluate the same crossing at once', async () => {
    const clock = fixedClock(NOON);
    const other = await backend.connectSecond();
    try {
      await spend(db, 11, NOON - HOUR);
      const a = alertingBus();
      const b = alertingBus();
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) => service({ daily: 10, weekly: 20 }, i % 2 === 0 ? a.bus : b.bus, clock, i % 2 === 0 ? db : other).evaluate()),
      );
      const fired = results.flat().map((alert) => `${alert.budget}@${alert.threshold}`).sort();
      expect(fired).toEqual(['daily@0.8', 'daily@1']);
      expect(a.alerts.length + b.alerts.length).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('keeps per-agent, weekly and monthly budgets apart, in the configured zone', async () => {
    const clock = fixedClock(NOON);
    const { bus, alerts } = alertingBus();
    const budgets = service({ weekly: 100, monthly: 1000, perAgent: { codex: { daily: 5 } }, alertThresholds: [1] }, bus, clock);
    await spend(db, 50, NOON - HOUR, 'claude-code');
    await spend(db, 4, NOON - HOUR, 'codex');
    await budgets.evaluate();
    expect(alerts).toEqual([]);
    await spend(db, 1, NOON - HOUR, 'codex');
    await spend(db, 46, Date.parse('2026-03-02T00:30:00Z'), 'claude-code'); // Monday: same ISO week
    await spend(db, 500, Date.parse('2026-03-01T23:30:00Z'), 'claude-code'); // Sunday: last week, same month
    await budgets.evaluate();
    expect(alerts.map((a) => `${a.budget} ${a.period}`).sort()).toEqual(['agent:codex:daily 2026-03-04', 'weekly 2026-03-02']);
    const status = await budgets.status();
    expect(status.map((s) => [s.budget, s.periodKey, s.spentUsd, s.fired])).toEqual([
      ['weekly', '2026-03-02', 101, [1]],
      ['monthly', '2026-03', 601, []],
      ['agent:codex:daily', '2026-03-04', 5, [1]],
    ]);
  });

  it('alerts for a live session past perSession, not for a session from last week', async () => {
    const clock = fixedClock(NOON);
    const { bus, alerts } = alertingBus();
    const budgets = service({ perSession: 2, alertThresholds: [1] }, bus, clock);
    await spend(db, 3, NOON - HOUR, 'codex', 'live');
    await spend(db, 9, NOON - 7 * 24 * HOUR, 'codex', 'old');
    await spend(db, 1, NOON - HOUR, 'codex', 'cheap');
    const fired = await budgets.evaluate(['codex:live', 'codex:old', 'codex:cheap']);
    expect(fired).toEqual([{ budget: 'session', period: 'codex:live', limitUsd: 2, spentUsd: 3, threshold: 1 }]);
    expect(alerts).toHaveLength(1);
  });

  it('evaluates after CostRecorded on the bus (a burst coalesced) and at start', async () => {
    const clock = fixedClock(NOON);
    const { bus, alerts } = alertingBus();
    await spend(db, 9, NOON - HOUR);
    const budgets = service({ daily: 10, perSession: 10 }, bus, clock);
    budgets.start();
    await budgets.idle();
    expect(alerts.map((a) => a.threshold)).toEqual([0.8]);
    await spend(db, 2, NOON - HOUR, 'claude-code', 's2');
    await Promise.all(
      Array.from({ length: 20 }, () => bus.emitParallel('CostRecorded', { sessionId: 's2', agentType: 'claude-code', model: 'm', costUsd: 0.1 })),
    );
    await budgets.stop();
    expect(alerts.map((a) => `${a.budget}@${a.threshold}`)).toEqual(['daily@0.8', 'daily@1']);
  });
});

describe('budget config', () => {
  it('lists the budgets with default thresholds', () => {
    const resolved = resolveBudgets({ daily: 10, perAgent: { codex: { monthly: 50 } }, perSession: 3 }, 'UTC');
    expect(resolved).toEqual({
      thresholds: [0.8, 1],
      timeZone: 'UTC',
      budgets: [
        { name: 'daily', limitUsd: 10, period: 'day' },
        { name: 'agent:codex:monthly', limitUsd: 50, period: 'month', agentType: 'codex' },
        { name: 'session', limitUsd: 3, period: 'session' },
      ],
    });
    expect(resolveBudgets(undefined).budgets).toEqual([]);
  });

  it.each([
    [{ daly: 10 }, /budgets\.daly: unknown key/],
    [{ daily: -1 }, /budgets\.daily/],
    [{ perAgent: { codex: { hourly: 1 } } }, /budgets\.perAgent\.codex/],
    [{ alertThresholds: [] }, /budgets\.alertThresholds/],
    [{ timeZone: 'Mars/Olympus' }, /budgets\.timeZone: unknown time zone "Mars\/Olympus"/],
  ])('refuses %j with E4001 naming the key', (raw, message) => {
    expect(() => resolveBudgets(raw, 'UTC')).toThrow(expect.objectContaining({ code: 'E4001', message: expect.stringMatching(message) }));
  });

  it('cuts days in the zone across a DST change (Europe/Paris, 2026-03-29 lasts 23 hours)', () => {
    const day = windowAt('day', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Paris');
    expect(day).toEqual({ key: '2026-03-29', startsAt: Date.parse('2026-03-28T23:00:00Z'), endsAt: Date.parse('2026-03-29T22:00:00Z') });
    expect(windowAt('month', Date.parse('2026-03-31T22:30:00Z'), 'Europe/Paris').key).toBe('2026-04');
  });
});
