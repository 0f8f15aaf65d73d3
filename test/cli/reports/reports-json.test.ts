import { createReportSandbox, type ReportSandbox } from './report-cli';
import { seedStore, type StoredRecord, type StoredSession } from './report-store';

/**
 * Every report's `--json` through the real bin, and what the session, today, summary,
 * by-agent and agents reports say about a small store with a live session.
 */

const M = 60 * 1000;
const H = 60 * M;
const DAY = 24 * H;
const iso = (t: number) => new Date(t).toISOString();

let box: ReportSandbox;
let now: number;
let base: number;

beforeAll(async () => {
  box = await createReportSandbox();
  now = Date.now();
  base = Math.floor(now / DAY) * DAY - 10 * DAY;
  const sessions: StoredSession[] = [
    { agent: 'claude-code', externalId: 'old-finished', project: '/work/app', startedAt: iso(base + 9 * H), endedAt: iso(base + 11 * H), status: 'completed' },
    { agent: 'codex', externalId: 'stale-active', project: '/work/lib', startedAt: iso(base + DAY), lastActivityAt: iso(base + DAY + H), status: 'active' },
    { agent: 'claude-code', externalId: 'live-now', project: '/work/app', title: 'fix the build', startedAt: iso(now - 20 * M), lastActivityAt: iso(now - 2 * M), status: 'active' },
  ];
  const records: StoredRecord[] = [
    { key: 'o1', agent: 'claude-code', session: 'old-finished', model: 'claude-opus-4-1', at: iso(base + 9 * H + 5 * M), input: 100, output: 100, cost: 1 },
    { key: 'o2', agent: 'claude-code', session: 'old-finished', model: 'claude-sonnet-4-5', at: iso(base + 10 * H), input: 100, output: 100, cost: 0.5 },
    { key: 's1', agent: 'codex', session: 'stale-active', model: 'gpt-5-codex', at: iso(base + DAY + 30 * M), input: 1000, output: 10, cost: 0.25 },
    { key: 'l1', agent: 'claude-code', session: 'live-now', model: 'claude-sonnet-4-5', at: iso(now - 3 * M), input: 10, output: 20, cost: 0.125 },
  ];
  await seedStore(box.dataDir, { sessions, records });
});
afterAll(() => box.remove());

const json = <T = Record<string, unknown>>(...args: string[]) => box.json<T>(...args, '--json', '--no-ingest');

describe('every report', () => {
  const reports = [
    ['costs', 'daily'],
    ['costs', 'weekly'],
    ['costs', 'monthly'],
    ['costs', 'session'],
    ['costs', 'blocks'],
    ['costs', 'today'],
    ['costs', 'summary'],
    ['costs', 'summary', '--range', 'lastmonth'],
    ['costs', 'by-model'],
    ['costs', 'by-agent'],
    ['sessions', 'list'],
    ['sessions', 'show', 'live-now'],
    ['sessions', 'history'],
    ['sessions', 'stats'],
    ['agents', 'list'],
    ['agents', 'status'],
  ];
  it.each(reports)('%s %s --json prints one JSON document with its warnings', async (...args: string[]) => {
    const result = await json(...args);
    expect(result).toEqual(expect.objectContaining({ warnings: expect.any(Array) }));
  });
});

describe('session reports', () => {
  it('costs session: per session its agent, project, span, tokens and cost in the range, oldest first', async () => {
    const result = await json<{ rows: Array<Record<string, unknown>>; totals: Record<string, number> }>('costs', 'session', '--tz', 'UTC');
    expect(result.rows.map((row) => [row.sessionId, row.agent, row.projectPath, row.costUsd, row.totalTokens])).toEqual([
      ['claude-code:old-finished', 'claude-code', '/work/app', 1.5, 400],
      ['codex:stale-active', 'codex', '/work/lib', 0.25, 1010],
      ['claude-code:live-now', 'claude-code', '/work/app', 0.125, 30],
    ]);
    expect(result.rows[0]).toMatchObject({ startedAt: iso(base + 9 * H), endedAt: iso(base + 11 * H), models: ['claude-opus-4-1', 'claude-sonnet-4-5'] });
    expect(result.totals.costUsd).toBe(1.875);
    const day = iso(base).slice(0, 10);
    const one = await json<{ rows: Array<{ sessionId: string }> }>('costs', 'session', '--tz', 'UTC', '--since', day, '--until', day);
    expect(one.rows.map((row) => row.sessionId)).toEqual(['claude-code:old-finished']);
  });

  it('sessions list: newest first; a session stored as active but silent for 30 minutes reads as idle', async () => {
    const result = await json<{ rows: Array<{ sessionId: string; status: string; records: number; costUsd: number; title: string | null }> }>('sessions', 'list');
    expect(result.rows.map((row) => [row.sessionId, row.status, row.records, row.costUsd])).toEqual([
      ['claude-code:live-now', 'active', 1, 0.125],
      ['codex:stale-active', 'idle', 1, 0.25],
      ['claude-code:old-finished', 'completed', 2, 1.5],
    ]);
    const limited = await json<{ rows: unknown[] }>('sessions', 'list', '--limit', '1');
    expect(limited.rows).toHaveLength(1);
    const app = await json<{ rows: Array<{ sessionId: string }> }>('sessions', 'list', '--project', '/work/app', '--agent', 'claude-code');
    expect(app.rows.map((row) => row.sessionId)).toEqual(['claude-code:live-now', 'claude-code:old-finished']);
  });

  it('sessions show: by id, by the agent\'s own id or a unique prefix, with its models', async () => {
    const byPrefix = await json<{ session: Record<string, unknown>; models: Array<{ model: string; records: number; costUsd: number }> }>('sessions', 'show', 'old-fin');
    expect(byPrefix.session).toMatchObject({ sessionId: 'claude-code:old-finished', agent: 'claude-code', status: 'completed', durationMs: 2 * H, records: 2 });
    expect(byPrefix.models.map((model) => [model.model, model.records, model.costUsd])).toEqual([
      ['claude-opus-4-1', 1, 1],
      ['claude-sonnet-4-5', 1, 0.5],
    ]);
    expect((await json<{ session: { sessionId: string; title: string } }>('sessions', 'show', 'claude-code:live-now')).session).toMatchObject({ title: 'fix the build' });
  });

  it('sessions show: an unknown id exits 1 with E6002, an ambiguous prefix exits 2 listing the candidates', async () => {
    const unknown = await box.run('sessions', 'show', 'nothing-like-it', '--no-ingest');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/E6002 no session "nothing-like-it" in the store: list them with `rimuru-kernel sessions list`/);
    const ambiguous = await box.run('sessions', 'show', 'claude-code:', '--no-ingest');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/matches 2 sessions .*claude-code:live-now.*claude-code:old-finished|matches 2 sessions .*claude-code:old-finished.*claude-code:live-now/);
  });

  it('sessions stats and history: counts by status and agent, durations, the costliest projects, sessions per day', async () => {
    const stats = await json<Record<string, unknown>>('sessions', 'stats');
    expect(stats).toMatchObject({
      sessions: 3,
      byStatus: { active: 1, idle: 1, completed: 1, errored: 0 },
      topProjects: [expect.objectContaining({ projectPath: '/work/app', sessions: 2, costUsd: 1.625 }), expect.objectContaining({ projectPath: '/work/lib', sessions: 1, costUsd: 0.25 })],
    });
    expect((stats.byAgent as Array<{ agent: string; sessions: number }>).map((row) => [row.agent, row.sessions])).toEqual([
      ['claude-code', 2],
      ['codex', 1],
    ]);
    const history = await json<{ rows: Array<{ date: string; sessionsStarted: number; costUsd: number }> }>('sessions', 'history', '--tz', 'UTC');
    expect(history.rows.slice(0, 2)).toEqual([
      expect.objectContaining({ date: iso(base).slice(0, 10), sessionsStarted: 1, costUsd: 1.5 }),
      expect.objectContaining({ date: iso(base + DAY).slice(0, 10), sessionsStarted: 1, costUsd: 0.25 }),
    ]);
  });
});

describe('today, summary, by-agent and agents', () => {
  it('costs today sums today in --tz; summary sums its range ending today', async () => {
    const today = await json<{ date: string; totals: { costUsd: number }; agents: Array<{ agent: string }> }>('costs', 'today', '--tz', 'UTC');
    expect(today.date).toBe(iso(now).slice(0, 10));
    // The live record is 3 minutes old: today's, unless the test started in the first 3 minutes of a UTC day.
    expect(today.totals.costUsd).toBe(iso(now - 3 * M).slice(0, 10) === today.date ? 0.125 : 0);
    const week = await json<{ range: string; since: string; until: string; totals: { costUsd: number } }>('costs', 'summary', '--range', '7d', '--tz', 'UTC');
    expect([week.range, week.since, week.until]).toEqual(['7d', iso(now - 6 * DAY).slice(0, 10), iso(now).slice(0, 10)]);
    const all = await json<{ range: string; since: null; totals: { costUsd: number }; agents: Array<{ agent: string; costUsd: number }> }>('costs', 'summary', '--range', 'all');
    expect([all.range, all.since, all.totals.costUsd]).toEqual(['all', null, 1.875]);
    expect(all.agents.map((row) => [row.agent, row.costUsd])).toEqual([
      ['claude-code', 1.625],
      ['codex', 0.25],
    ]);
  });

  it('costs by-agent lists agents most expensive first with the totals', async () => {
    const result = await json<{ report: string; rows: Array<{ agent: string; costUsd: number }>; totals: { costUsd: number } }>('costs', 'by-agent');
    expect(result.report).toBe('by-agent');
    expect(result.rows.map((row) => row.agent)).toEqual(['claude-code', 'codex']);
    expect(result.totals.costUsd).toBe(1.875);
  });

  it('agents status: sessions, the ones active now, last activity and usage per agent', async () => {
    const result = await json<{ rows: Array<{ agent: string; sessions: number; activeSessions: number; usage: { costUsd: number } }> }>('agents', 'status', '--agent', 'claude-code', '--agent', 'codex');
    expect(result.rows.map((row) => [row.agent, row.sessions, row.activeSessions, row.usage.costUsd])).toEqual([
      ['claude-code', 2, 1, 1.625],
      ['codex', 1, 0, 0.25],
    ]);
  });

  it('agents list: every known agent with its adapter plugin, or none', async () => {
    const result = await json<{ rows: Array<{ agent: string; plugin: { name: string } | null }> }>('agents', 'list');
    expect(result.rows.map((row) => row.agent)).toEqual(['claude-code', 'codex', 'opencode', 'goose', 'copilot', 'cursor', 'gemini']);
    for (const row of result.rows) if (row.plugin) expect(row.plugin.name).toBe(`@rimuru/adapter-${row.agent}`);
  });
});
