import type { Database } from '../../../../kernel/services/storage';
import { SessionAggregator } from '../../../../kernel/services/storage/aggregators';
import { CostRepository, SessionRepository } from '../../../../kernel/services/storage/repositories';
import type { SessionInput } from '../../../../kernel/services/storage/types';
import { generateUsage } from '../../../fixtures/storage/usage-generator';
import { localDate, totalsOf } from '../../../fixtures/storage/usage-reference';
import { describeBackends } from '../backends';

const at = (iso: string): number => Date.parse(iso);

function session(id: string, agentType: string, startedAt: number, overrides: Partial<SessionInput> = {}): SessionInput {
  return { id: `${agentType}:${id}`, agentId: agentType, agentType, externalId: id, startedAt, ...overrides };
}

describeBackends('SessionAggregator', (backend) => {
  let db: Database;
  let sessions: SessionRepository;
  let aggregator: SessionAggregator;

  beforeAll(async () => {
    db = await backend.connect();
    sessions = new SessionRepository(db);
    aggregator = new SessionAggregator(db);
  });
  beforeEach(() => backend.reset());

  it('counts sessions by status (every status present) and by agent, within a range of start times', async () => {
    const t = at('2025-03-01T00:00:00Z');
    await sessions.save(session('a', 'claude-code', t, { status: 'active' }));
    await sessions.save(session('b', 'claude-code', t + 1, { status: 'completed' }));
    await sessions.save(session('c', 'codex', t + 2, { status: 'completed' }));
    await sessions.save(session('d', 'codex', t + 3, { status: 'errored' }));
    await sessions.save(session('e', 'codex', t + 4, { status: 'idle' }));
    expect(await aggregator.countsByStatus()).toEqual({ active: 1, idle: 1, completed: 2, errored: 1 });
    expect(await aggregator.countsByStatus({ from: t + 1, to: t + 3 })).toEqual({ active: 0, idle: 0, completed: 2, errored: 0 });
    expect(await aggregator.countsByAgent()).toEqual([
      { agentId: 'codex', agentType: 'codex', sessions: 3 },
      { agentId: 'claude-code', agentType: 'claude-code', sessions: 2 },
    ]);
    expect(await aggregator.countsByAgent({ from: t + 10 })).toEqual([]);
  });

  it('counts sessions per local day: 23:30 and 00:30 in Asia/Kolkata are different days', async () => {
    await sessions.save(session('late', 'codex', at('2025-03-01T18:00:00Z'))); // Mar 1, 23:30 IST
    await sessions.save(session('midnight', 'codex', at('2025-03-01T18:30:00Z'))); // Mar 2, 00:00 IST
    await sessions.save(session('early', 'codex', at('2025-03-01T19:00:00Z'))); // Mar 2, 00:30 IST
    expect(await aggregator.sessionsPerDay({}, 'Asia/Kolkata')).toEqual([
      { day: '2025-03-01', startsAt: at('2025-02-28T18:30:00Z'), sessions: 1 },
      { day: '2025-03-02', startsAt: at('2025-03-01T18:30:00Z'), sessions: 2 },
    ]);
    expect(await aggregator.sessionsPerDay({}, 'UTC')).toEqual([{ day: '2025-03-01', startsAt: at('2025-03-01T00:00:00Z'), sessions: 3 }]);
    expect(await aggregator.sessionsPerDay({ from: at('2025-04-01T00:00:00Z') }, 'UTC')).toEqual([]);
    await expect(aggregator.sessionsPerDay({}, 'Nowhere/Special')).rejects.toMatchObject({ code: 'E1009' });
  });

  it('matches a per-session count for generated sessions across the New York DST change', async () => {
    const data = generateUsage({ seed: 3, records: 10, sessions: 400, from: at('2025-03-01T00:00:00Z'), to: at('2025-03-20T00:00:00Z') });
    for (const input of data.sessions) await sessions.save(input);
    const expected = new Map<string, number>();
    for (const input of data.sessions) {
      const day = localDate(Number(input.startedAt), 'America/New_York');
      expected.set(day, (expected.get(day) ?? 0) + 1);
    }
    const perDay = await aggregator.sessionsPerDay({}, 'America/New_York');
    expect(perDay.map(({ day, sessions: count }) => [day, count])).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)));
  });

  it('averages session durations, using the last activity of sessions that have not ended', async () => {
    expect(await aggregator.averageDuration()).toEqual({ sessions: 0, averageMs: null });
    await sessions.save(session('a', 'codex', 1_000, { endedAt: 61_000 }));
    await sessions.save(session('b', 'codex', 2_000, { lastActivityAt: 32_000 }));
    expect(await aggregator.averageDuration()).toEqual({ sessions: 2, averageMs: 45_000 });
    expect(await aggregator.averageDuration({ from: 1_500 })).toEqual({ sessions: 1, averageMs: 30_000 });
  });

  it('ranks projects by the cost of their sessions records in a range', async () => {
    const from = at('2025-03-01T00:00:00Z');
    const data = generateUsage({ seed: 5, records: 1_500, from, to: from + 20 * 86_400_000 });
    for (const input of data.sessions) await sessions.save(input);
    await new CostRepository(db).saveMany(data.records);
    const range = { from: from + 3 * 86_400_000, to: from + 15 * 86_400_000 };
    const projectOf = new Map(data.sessions.map((input) => [input.id, input.projectPath ?? null]));
    const inRange = data.records.filter((record) => record.recordedAt >= range.from && record.recordedAt < range.to);
    const projects = [...new Set(inRange.map((record) => projectOf.get(record.sessionId) ?? null))];
    const expected = projects
      .map((projectPath) => {
        const records = inRange.filter((record) => (projectOf.get(record.sessionId) ?? null) === projectPath);
        return { projectPath, sessions: new Set(records.map((record) => record.sessionId)).size, ...totalsOf(records) };
      })
      .sort((a, b) => b.costUsd - a.costUsd || ((a.projectPath ?? '') < (b.projectPath ?? '') ? -1 : 1));
    expect(await aggregator.topProjects(range)).toEqual(expected);
    expect(await aggregator.topProjects(range, 2)).toEqual(expected.slice(0, 2));
    await expect(aggregator.topProjects(range, 0)).rejects.toMatchObject({ code: 'E1009' });
  });
});
