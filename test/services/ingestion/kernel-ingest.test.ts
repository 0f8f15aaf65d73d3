import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { Kernel } from '../../../kernel/core/lifecycle';
import { AgentRepository, SessionRepository } from '../../../kernel/services/storage';
import type { HookName } from '../../../sdk/src/hooks';
import { writeSdkPlugin } from '../../fixtures/kernel/sdk-plugin';
import { bootKernel, comparable, installTestAdapter, makeIngestWorld, storedTotals, storeOf, type IngestWorld } from './ingest-harness';
import { usageLine, writeTestAgentCorpus, type TestAgentCorpus, type UsageEvent } from './fixtures/test-agent-corpus';

/**
 * Ingestion through a booted kernel (SQLite): failures of one source or one adapter stay
 * theirs, the hooks fire once per fact, the user's per-agent config reaches the adapter, and
 * watch mode brings appended records in.
 */

const ADAPTER = '@rimuru-fixture/adapter-test-agent';

let world: IngestWorld;
let corpus: TestAgentCorpus;
let kernel: Kernel | undefined;

beforeEach(async () => {
  world = makeIngestWorld();
  corpus = writeTestAgentCorpus(world.agentHome, { sessions: 4, eventsPerSession: 20, sqliteRows: 30 });
  await installTestAdapter(world.pluginsDir);
});

afterEach(async () => {
  await kernel?.shutdown('test over');
  kernel = undefined;
  world.dispose();
});

async function boot(options: Parameters<typeof bootKernel>[1] = {}): Promise<Kernel> {
  kernel = (await bootKernel(world, options)).kernel;
  return kernel;
}

function event(key: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return { t: 'usage', key, session: 'live', model: 'model-a', in: 100, out: 50, cw: 0, cw1h: 0, cr: 0, rs: 0, at: new Date().toISOString(), ...overrides };
}

/** Records every payload of the given hooks, in order. */
function recordHooks(k: Kernel, hooks: HookName[]): Array<{ hook: string; payload: Record<string, unknown> }> {
  const seen: Array<{ hook: string; payload: Record<string, unknown> }> = [];
  for (const hook of hooks) {
    k.hookBus.register({
      id: `test-${hook}`,
      owner: 'test',
      hook,
      priority: 1,
      handle: (payload: unknown) => {
        seen.push({ hook, payload: payload as Record<string, unknown> });
        return { type: 'continue' };
      },
    });
  }
  return seen;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Kernel.ingest', () => {
  it('records a source whose parse throws (E2006) and reads every other source', async () => {
    const broken = path.join(world.agentHome, 'projects', 'broken.jsonl');
    writeFileSync(broken, `${JSON.stringify({ t: 'throw' })}\n`);
    const k = await boot();
    const summary = await k.ingest();
    expect(summary.errors.map((e) => ({ source: e.sourceId, code: e.code }))).toEqual([{ source: broken, code: ErrorCodes.PLUGIN_THREW }]);
    expect(comparable(await storedTotals(storeOf(k)))).toEqual(comparable(corpus.totals));
    // Its cursor did not move: the next run tries it again.
    expect((await k.ingest()).errors.map((e) => e.sourceId)).toEqual([broken]);
  });

  it.each([
    ['booted with every plugin started', false],
    ['booted as a report (plugins start on first use)', true],
  ])('keeps reading the other adapters when one breaks its CPU limit, and reports it as not running afterwards (%s)', async (_how, asReport) => {
    const otherHome = path.join(world.dir, 'other-agent');
    const otherCorpus = writeTestAgentCorpus(otherHome, { seed: 7, sessions: 2, eventsPerSession: 10, sqliteRows: 5 });
    await installTestAdapter(world.pluginsDir, { name: '@rimuru-fixture/adapter-other-agent', agentType: 'other-agent' });
    // `test-agent` meets a line that makes it spin, under a short CPU limit.
    await installTestAdapter(world.pluginsDir, { limits: { memoryMb: 64, callTimeoutMs: 300 } });
    writeFileSync(path.join(world.agentHome, 'projects', 'aaa-spin.jsonl'), `${JSON.stringify({ t: 'spin' })}\n`);
    const k = await boot({
      config: {
        plugins: { config: { '@rimuru-fixture/adapter-other-agent': { agentType: 'other-agent' } } },
        agents: { 'other-agent': { paths: [otherHome] } },
        sandbox: { restart: { maxRestarts: 0 } },
      },
      asReport,
    });
    const summary = await k.ingest();
    const spun = summary.errors.filter((e) => e.plugin === ADAPTER);
    expect(spun.length).toBeGreaterThan(0);
    expect(spun[0]?.code).toBe(ErrorCodes.SANDBOX_CPU_TIMEOUT);
    // The sources read beside the spinning one fail as the sandbox is torn down; none is half-written.
    for (const error of spun.slice(1)) expect(error.code).toBe(ErrorCodes.SANDBOX_DISPOSED);
    expect(comparable(await storedTotals(storeOf(k), { agents: ['other-agent'] }))).toEqual(comparable(otherCorpus.totals));

    const again = await k.ingest();
    expect(again.errors).toEqual([expect.objectContaining({ plugin: ADAPTER, message: expect.stringContaining('is not running') })]);
    expect(again.errors[0]?.sourceId).toBeUndefined();
  });

  it('as a report boots (plugins start on first use): hook plugins start before anything is read, and handle every new session once', async () => {
    const counting = `
      import { defineHookPlugin } from '@rimuru/sdk';
      export default defineHookPlugin({
        hooks: { async SessionStart(payload, ctx) { await ctx.kv.set('sessions', ((await ctx.kv.get('sessions')) ?? 0) + 1); } },
        methods: { sessions: async (ctx) => ctx.kv.get('sessions') },
      });`;
    await writeSdkPlugin(world.pluginsDir, { name: 'session-counter', contributes: { hooks: [{ hook: 'SessionStart' }] }, source: counting });
    const k = await boot({ asReport: true });
    const order: string[] = [];
    k.registry.onStateChange((event) => order.push(`${event.name}:${event.to}`));
    k.hookBus.register({ id: 'test-order', owner: 'test', hook: 'SessionStart', priority: 1, handle: () => (order.push('SessionStart'), { type: 'continue' }) });
    expect(k.registry.get('session-counter')?.state).toBe('enabled');
    await k.ingest();
    // Started by the run before it read (not by its first hook, mid-ingest, behind the writes).
    expect(order.indexOf('session-counter:running')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('session-counter:running')).toBeLessThan(order.indexOf('SessionStart'));
    expect(await k.plugin('session-counter')!.live!.invoke('sessions', [])).toBe(Object.keys(corpus.sessions).length);
  });

  it('fires SessionStart once per new session, CostRecorded once per session per chunk with the cost added, AgentDiscovered once', async () => {
    const k = await boot();
    const seen = recordHooks(k, ['SessionStart', 'CostRecorded', 'AgentDiscovered']);
    await k.ingest();
    const starts = seen.filter((s) => s.hook === 'SessionStart').map((s) => s.payload.sessionId);
    expect([...starts].sort()).toEqual(Object.keys(corpus.sessions).sort());
    expect(seen.filter((s) => s.hook === 'AgentDiscovered')).toEqual([
      { hook: 'AgentDiscovered', payload: { agentType: 'test-agent', version: '1.2.3', paths: [world.agentHome] } },
    ]);
    const costs = seen.filter((s) => s.hook === 'CostRecorded');
    const total = costs.reduce((sum, s) => sum + (s.payload.costUsd as number), 0);
    expect(Math.round(total * 1e6)).toBe(Math.round(corpus.totals.costUsd * 1e6));
    // Each jsonl file is one session in one chunk here: one CostRecorded each.
    for (const session of ['sess-0', 'sess-1', 'sess-2', 'sess-3']) expect(costs.filter((s) => s.payload.sessionId === session)).toHaveLength(1);

    seen.length = 0;
    const file = corpus.jsonlFiles[0] as string;
    appendFileSync(file, usageLine(event('more-1', { session: 'sess-0', in: 1000, out: 0, cr: 0 })) + usageLine(event('more-2', { session: 'sess-0', in: 0, out: 1000, cr: 0 })));
    await k.ingest();
    expect(seen).toEqual([{ hook: 'CostRecorded', payload: { sessionId: 'sess-0', agentType: 'test-agent', model: 'model-a', costUsd: 1000 * 3e-6 + 1000 * 15e-6 } }]);

    // Re-reading a truncated file adds nothing, so it announces nothing.
    seen.length = 0;
    writeFileSync(file, readFileSync(file, 'latin1').split('\n').slice(0, 6).join('\n') + '\n', 'latin1');
    await k.ingest();
    expect(seen).toEqual([]);
  });

  it('marks sessions written to in the last 30 minutes active, and ends them (SessionEnd) once they go quiet', async () => {
    const live = path.join(world.agentHome, 'projects', 'live.jsonl');
    writeFileSync(live, usageLine(event('live-1')));
    const k = await boot();
    const seen = recordHooks(k, ['SessionEnd']);
    await k.ingest();
    const db = storeOf(k);
    const sessions = new SessionRepository(db);
    expect((await sessions.findById('test-agent:live'))?.status).toBe('active');
    expect((await sessions.findById('test-agent:sess-0'))?.status).toBe('idle');
    expect((await new AgentRepository(db).findById('test-agent'))).toMatchObject({ status: 'active', version: '1.2.3', paths: [world.agentHome] });

    await db.knex('sessions').where({ id: 'test-agent:live' }).update({ last_activity_at: Date.now() - 31 * 60_000 });
    await k.ingest();
    expect((await sessions.findById('test-agent:live'))?.status).toBe('idle');
    expect(seen).toEqual([{ hook: 'SessionEnd', payload: expect.objectContaining({ sessionId: 'live', agentType: 'test-agent', status: 'idle' }) }]);
    expect((await new AgentRepository(db).findById('test-agent'))?.status).toBe('installed');
  });

  it('hands agents.<type>.paths to the adapter and grants reading them; agents.<type>.enabled: false skips it', async () => {
    const configured = path.join(world.dir, 'configured-root');
    const configuredCorpus = writeTestAgentCorpus(configured, { seed: 3, sessions: 2, eventsPerSession: 5, sqliteRows: 3 });
    const k = await boot({ config: { agents: { 'test-agent': { paths: [configured] } } } });
    const summary = await k.ingest();
    expect(summary.errors).toEqual([]);
    expect(summary.adapters[0]?.paths).toEqual([configured]);
    expect(comparable(await storedTotals(storeOf(k)))).toEqual(comparable(configuredCorpus.totals));
    await k.shutdown('next');

    kernel = undefined;
    const off = await boot({ config: { agents: { 'test-agent': { enabled: false } } } });
    const skipped = await off.ingest();
    expect({ adapters: skipped.adapters, sources: skipped.sources.total }).toEqual({ adapters: [], sources: 0 });
  });

  it('runs one ingest at a time: calls made meanwhile share the next run', async () => {
    const k = await boot();
    const [a, b, c] = await Promise.all([k.ingest(), k.ingest(), k.ingest()]);
    expect(a.records.inserted).toBe(corpus.totals.records);
    expect(b).toBe(c);
    expect(b.records.inserted).toBe(0);
  });

  it('watch mode ingests only the agent whose folder changed; the rescan ingests all', async () => {
    const otherHome = path.join(world.dir, 'other-agent');
    const otherCorpus = writeTestAgentCorpus(otherHome, { seed: 5, sessions: 2, eventsPerSession: 3, sqliteRows: 2 });
    await installTestAdapter(world.pluginsDir, { name: '@rimuru-fixture/adapter-other-agent', agentType: 'other-agent' });
    const k = await boot({
      config: { plugins: { config: { '@rimuru-fixture/adapter-other-agent': { agentType: 'other-agent' } } }, agents: { 'other-agent': { paths: [otherHome] } }, ingest: { rescanIntervalSecs: 3600 } },
    });
    await k.ingest();
    const runs: Array<{ listed: string[]; sources: number; inserted: number }> = [];
    const watcher = await k.watch((summary) => runs.push({ listed: summary.adapters.map((a) => a.agentType), sources: summary.sources.total, inserted: summary.records.inserted }));
    expect(watcher.watching()).toEqual([otherHome, world.agentHome].sort());
    // Starting, it catches up once on what was written since the last ingest (nothing here).
    await until(async () => (runs.length > 0 ? true : undefined), 'the catch-up ingest');
    expect(runs.shift()).toMatchObject({ listed: ['other-agent', 'test-agent'], inserted: 0 });

    // A known source changed: only it is read, nobody is asked to list again.
    appendFileSync(otherCorpus.jsonlFiles[0] as string, usageLine(event('other-1', { session: 'sess-0' })));
    await until(async () => (runs.length > 0 ? true : undefined), 'an ingest after the change');
    expect(runs.shift()).toEqual({ listed: [], sources: 1, inserted: 1 });

    // A new file like the agent's sources: that agent (only) lists again.
    writeFileSync(path.join(otherHome, 'projects', 'p0', 'new.jsonl'), usageLine(event('other-2', { session: 'new' })));
    await until(async () => (runs.length > 0 ? true : undefined), 'an ingest after the new file');
    expect(runs.shift()).toMatchObject({ listed: ['other-agent'], inserted: 1 });

    // A file unlike any source (an agent's scratch file): nothing runs.
    writeFileSync(path.join(world.agentHome, 'scratch.tmp'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(runs).toEqual([]);
  });

  it('watch mode brings in a record appended to a known file and a record in a new file in a new folder', async () => {
    const k = await boot({ config: { ingest: { rescanIntervalSecs: 3600 } } });
    await k.ingest();
    const db = storeOf(k);
    await k.watch();
    const stored = (key: string) => async () => {
      const rows = await db.knex('usage_records').where({ dedup_key: `test-agent:${key}` }).select('output_tokens');
      return rows.length > 0 ? rows : undefined;
    };

    let written = Date.now();
    appendFileSync(corpus.jsonlFiles[1] as string, usageLine(event('watched-1', { out: 77 })));
    expect(await until(stored('watched-1'), 'the appended record')).toEqual([{ output_tokens: 77 }]);
    const appendLatency = Date.now() - written;

    const fresh = path.join(world.agentHome, 'projects', 'new-project', 'new-session.jsonl');
    mkdirSync(path.dirname(fresh), { recursive: true });
    written = Date.now();
    writeFileSync(fresh, usageLine(event('watched-2', { session: 'new-session', out: 88 })));
    expect(await until(stored('watched-2'), 'the record in a new file')).toEqual([{ output_tokens: 88 }]);
    const newFileLatency = Date.now() - written;
    // Reported, not asserted: wall-clock figures do not belong in unit assertions.
    process.stdout.write(`watch latency: append ${appendLatency} ms, new file ${newFileLatency} ms\n`);
  });
});
