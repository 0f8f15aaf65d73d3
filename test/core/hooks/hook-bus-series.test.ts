import { Abort, Continue, Modified, Skip, type HookName } from '../../../sdk/src/hooks';
import { HookBus } from '../../../kernel/core/hooks';
import { handler } from './handler-fixtures';

const HOOK: HookName = 'custom:test';

describe('HookBus.emitSeries ordering', () => {
  it('runs handlers by ascending priority and keeps registration order for ties', async () => {
    const bus = new HookBus();
    const ran: string[] = [];
    const track = (id: string, priority: number) =>
      bus.register(handler(id, () => (ran.push(id), Continue()), { priority }));
    track('late', 10);
    track('tie-a', 0);
    track('early', -5);
    track('tie-b', 0);
    track('tie-c', 0);

    await bus.emitSeries(HOOK, null);

    expect(ran).toEqual(['early', 'tie-a', 'tie-b', 'tie-c', 'late']);
    expect(bus.handlers(HOOK).map((h) => h.id)).toEqual(ran);
  });

  it('chains Modified: each handler sees the payload the previous one produced', async () => {
    const bus = new HookBus();
    const seen: unknown[] = [];
    const append = (id: string, priority: number) =>
      bus.register(
        handler(id, (payload) => {
          seen.push(payload);
          return Modified([...(payload as string[]), id]);
        }, { priority }),
      );
    append('second', 2);
    append('first', 1);
    bus.register(handler('skipper', () => Skip(), { priority: 3 }));

    const result = await bus.emitSeries(HOOK, ['start']);

    expect(seen).toEqual([['start'], ['start', 'first']]);
    expect(result.payload).toEqual(['start', 'first', 'second']);
    expect(result.aborted).toBeUndefined();
    expect(result.executions.map((e) => e.result)).toEqual(['modified', 'modified', 'skip']);
  });

  it('stops at Abort and reports the reason, handler and owner', async () => {
    const bus = new HookBus();
    const ran: string[] = [];
    bus.register(handler('ok', () => (ran.push('ok'), Continue()), { priority: 1 }));
    bus.register(handler('veto', () => (ran.push('veto'), Abort('over budget')), { priority: 2, owner: '@rimuru/hook-budget' }));
    bus.register(handler('after', () => (ran.push('after'), Continue()), { priority: 3 }));

    const result = await bus.emitSeries(HOOK, { n: 1 });

    expect(ran).toEqual(['ok', 'veto']);
    expect(result.aborted).toEqual({ reason: 'over budget', handlerId: 'veto', owner: '@rimuru/hook-budget' });
    expect(result.executions.map((e) => e.handlerId)).toEqual(['ok', 'veto']);
    expect(result.payload).toEqual({ n: 1 });
  });

  it('keeps the payload a Modified produced before an Abort', async () => {
    const bus = new HookBus();
    bus.register(handler('mod', () => Modified('changed'), { priority: 1 }));
    bus.register(handler('stop', () => Abort('no'), { priority: 2 }));
    const result = await bus.emitSeries(HOOK, 'original');
    expect(result.payload).toBe('changed');
    expect(result.aborted?.handlerId).toBe('stop');
  });

  it('returns the input untouched when nobody listens', async () => {
    const bus = new HookBus();
    const payload = { a: 1 };
    const result = await bus.emitSeries(HOOK, payload);
    expect(result).toEqual({ payload, executions: [] });
  });

  it('uses the handler list as it was when the emit started', async () => {
    const bus = new HookBus();
    const ran: string[] = [];
    let removeLate: () => void = () => undefined;
    bus.register(
      handler('first', () => {
        ran.push('first');
        removeLate();
        bus.register(handler('added-mid-emit', () => (ran.push('added-mid-emit'), Continue()), { priority: 5 }));
        return Continue();
      }, { priority: 1 }),
    );
    removeLate = bus.register(handler('late', () => (ran.push('late'), Continue()), { priority: 9 }));

    await bus.emitSeries(HOOK, null);
    expect(ran).toEqual(['first', 'late']);
    expect(bus.handlers(HOOK).map((h) => h.id)).toEqual(['first', 'added-mid-emit']);
  });
});

describe('HookBus.emitSeries on built-in hooks', () => {
  const start = { sessionId: 's1', agentType: 'claude-code', startedAt: '2025-01-01T00:00:00.000Z' };

  it('accepts Modified data that is still a valid payload of the hook', async () => {
    const bus = new HookBus();
    bus.register({
      id: 'tag-project',
      owner: 'host',
      hook: 'SessionStart',
      priority: 0,
      handle: (payload) => Modified({ ...payload, projectPath: '/work/x' }),
    });
    const result = await bus.emitSeries('SessionStart', start);
    expect(result.payload).toEqual({ ...start, projectPath: '/work/x' });
  });

  it('treats Modified data that breaks the payload shape as a failure and keeps the old payload', async () => {
    const bus = new HookBus();
    const seenByNext: unknown[] = [];
    bus.register(handler('breaks-shape', () => Modified({ sessionId: 42 }), { hook: 'SessionStart', priority: 1 }));
    bus.register(handler('next', (p) => (seenByNext.push(p), Continue()), { hook: 'SessionStart', priority: 2 }));

    const result = await bus.emitSeries('SessionStart', start);

    expect(result.payload).toEqual(start);
    expect(seenByNext).toEqual([start]);
    expect(result.executions[0]).toMatchObject({ result: 'error', error: { code: 'E5002' } });
    expect(result.executions[0]?.error?.message).toContain('not a valid SessionStart payload');
  });

  it('types payloads by hook name', async () => {
    const bus = new HookBus();
    // @ts-expect-error a SessionEnd payload is not a SessionStart payload
    await bus.emitSeries('SessionStart', { sessionId: 's', agentType: 'a', endedAt: 'x', status: 'done' });
    const result = await bus.emitSeries('PluginLoaded', { plugin: 'p', version: '1.0.0' });
    const version: string = result.payload.version;
    expect(version).toBe('1.0.0');
  });
});
