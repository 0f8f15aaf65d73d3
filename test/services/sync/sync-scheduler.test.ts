import { resolveConfig } from '../../../kernel/config';
import { SyncScheduler, type SchedulerTimers, type SyncProvider, type SyncRunRecord, type SyncRunReport, type SyncRunOptions } from '../../../kernel/services/sync';
import type { SyncConfig } from '../../../sdk/src/config';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

function provider(name: string, enabled = true): SyncProvider {
  return { provider: name, official: false, priority: 10, plugin: `@rimuru/sync-${name}`, version: '1.0.0', state: 'running', stateReason: null, enabled, baseUrl: null, keyVariables: [] };
}

function run(provider: string, startedAt: number, status: SyncRunRecord['status'], retryAfterAt: number | null = null): SyncRunRecord {
  return { id: startedAt, provider, plugin: provider, trigger: 'schedule', startedAt, finishedAt: startedAt, status, attempts: 1, modelsFetched: 1, modelsWritten: 0, modelsRejected: 0, repricedRecords: 0, errorCode: null, errorMessage: null, retryAfterAt, details: {} };
}

/** A scheduler over a fake service and fake timers: time moves only when the test says. */
function setup(sync: SyncConfig = {}) {
  let now = T0;
  const runs: SyncRunRecord[] = [];
  const asked: SyncRunOptions[] = [];
  const timers: Array<{ run: () => void; at: number }> = [];
  const fakeTimers: SchedulerTimers = {
    setTimeout: (fn, ms) => {
      const timer = { run: fn, at: now + ms };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => void timers.splice(timers.indexOf(handle as never), 1),
  };
  let modelsAt = 0;
  let refreshed = 0;
  const service = {
    modelsUpdatedAt: async () => modelsAt,
    refreshPrices: async () => {
      refreshed += 1;
      return { records: 0, costUsd: 0, models: [] };
    },
    providers: () => [provider('litellm'), provider('openrouter'), provider('off', false)],
    history: {
      latest: async () => {
        const map = new Map<string, { last: SyncRunRecord; lastGood: SyncRunRecord | null }>();
        for (const entry of runs) {
          const current = map.get(entry.provider);
          const good = entry.status === 'ok' ? entry : (current?.lastGood ?? null);
          map.set(entry.provider, { last: entry, lastGood: good });
        }
        return map;
      },
    },
    run: async (options: SyncRunOptions = {}): Promise<SyncRunReport> => {
      asked.push(options);
      modelsAt = now;
      for (const name of options.providers ?? []) runs.push(run(name, now, outcome(name)));
      return { trigger: 'schedule', startedAt: now, finishedAt: now, providers: [], modelsWritten: 0, repriced: { records: 0, costUsd: 0, models: [] } };
    },
  };
  let outcome: (provider: string) => SyncRunRecord['status'] = () => 'ok';
  const scheduler = new SyncScheduler({
    service: service as never,
    config: resolveConfig({ sync }, { cwd: '/', env: {}, homeDir: '/' }).sync,
    now: () => now,
    timers: fakeTimers,
    firstCheckMs: 10_000,
    checkEveryMs: 10 * 60_000,
  });
  return {
    scheduler,
    asked,
    runs,
    timers,
    setOutcome: (fn: typeof outcome) => (outcome = fn),
    syncElsewhere: (at: number) => (modelsAt = at),
    refreshed: () => refreshed,
    /** Moves the clock and fires the timers that came due, one by one, letting each tick finish. */
    advance: async (ms: number) => {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > end) break;
        timers.shift();
        now = next.at;
        next.run();
        for (let i = 0; i < 20; i += 1) await Promise.resolve();
      }
      now = end;
    },
  };
}

describe('SyncScheduler', () => {
  it('syncs every enabled provider shortly after start, then again once the interval (24 h by default) has passed', async () => {
    const world = setup();
    world.scheduler.start();
    await world.advance(9_000);
    expect(world.asked).toEqual([]);
    await world.advance(1_000);
    expect(world.asked).toEqual([{ providers: ['litellm', 'openrouter'], trigger: 'schedule', signal: expect.any(AbortSignal) }]);
    await world.advance(23 * HOUR);
    expect(world.asked).toHaveLength(1);
    await world.advance(1 * HOUR);
    expect(world.asked).toHaveLength(2);
    await world.scheduler.stop();
    expect(world.timers).toEqual([]);
  });

  it('honours sync.intervalHours and switches off at 0', async () => {
    const six = setup({ intervalHours: 6 });
    six.scheduler.start();
    await six.advance(6 * HOUR + 10_000);
    expect(six.asked).toHaveLength(2);
    await six.scheduler.stop();
    const off = setup({ intervalHours: 0 });
    off.scheduler.start();
    await off.advance(48 * HOUR);
    expect(off.asked).toEqual([]);
    expect(off.timers).toEqual([]);
  });

  it('tries a failed provider again only after its rate limit (minIntervalMinutes), keeping its last good data meanwhile', async () => {
    const world = setup({ minIntervalMinutes: 30, providers: { openrouter: { minIntervalMinutes: 120 } } });
    world.setOutcome(() => 'failed');
    world.scheduler.start();
    await world.advance(10_000);
    expect(world.asked.map((a) => a.providers)).toEqual([['litellm', 'openrouter']]);
    await world.advance(30 * 60_000);
    expect(world.asked.map((a) => a.providers)).toEqual([['litellm', 'openrouter'], ['litellm']]);
    await world.advance(90 * 60_000);
    expect(world.asked.at(-1)?.providers).toContain('openrouter');
    await world.scheduler.stop();
  });

  it("waits out a provider's Retry-After", async () => {
    const world = setup({ minIntervalMinutes: 0 });
    world.runs.push(run('litellm', T0 - 48 * HOUR, 'rate-limited', T0 + 5 * HOUR));
    expect(await world.scheduler.dueProviders()).toEqual(['openrouter']);
    await world.advance(5 * HOUR);
    expect(await world.scheduler.dueProviders()).toEqual(['litellm', 'openrouter']);
  });

  it('picks up models another process synced: the prices are re-read and records re-priced, once per change', async () => {
    const world = setup();
    world.scheduler.start();
    await world.advance(10_000);
    expect(world.refreshed()).toBe(0);
    await world.advance(10 * 60_000);
    expect(world.refreshed()).toBe(0);
    world.syncElsewhere(T0 + HOUR);
    await world.advance(10 * 60_000);
    expect(world.refreshed()).toBe(1);
    await world.advance(10 * 60_000);
    expect(world.refreshed()).toBe(1);
    await world.scheduler.stop();
  });
});
