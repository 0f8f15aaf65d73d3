import { Continue, type HookName } from '../../../sdk/src/hooks';
import { HookBus, MemoryHookExecutionRecorder } from '../../../kernel/core/hooks';
import { isRimuruError } from '../../../kernel/core/errors';
import { handler } from './handler-fixtures';

const HOOK: HookName = 'custom:test';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isRimuruError(err) ? err.code : `not a RimuruError: ${String(err)}`;
  }
  return undefined;
}

describe('HookBus registration', () => {
  it('unregister removes only that handler and is idempotent', async () => {
    const bus = new HookBus();
    const ran: string[] = [];
    const offA = bus.register(handler('a', () => (ran.push('a'), Continue())));
    bus.register(handler('b', () => (ran.push('b'), Continue())));
    offA();
    offA();
    await bus.emitSeries(HOOK, null);
    expect(ran).toEqual(['b']);
    expect(bus.handlers(HOOK).map((h) => h.id)).toEqual(['b']);
  });

  it('unregisterOwner removes every handler of a plugin on every hook', () => {
    const bus = new HookBus();
    bus.register(handler('x', () => Continue(), { owner: '@rimuru/gone', hook: 'SessionStart' }));
    bus.register(handler('y', () => Continue(), { owner: '@rimuru/gone', hook: 'custom:other' }));
    bus.register(handler('z', () => Continue(), { owner: '@rimuru/stays', hook: 'SessionStart' }));
    expect(bus.unregisterOwner('@rimuru/gone')).toBe(2);
    expect(bus.unregisterOwner('@rimuru/gone')).toBe(0);
    expect(bus.handlers('SessionStart').map((h) => h.id)).toEqual(['z']);
    expect(bus.handlers('custom:other')).toEqual([]);
  });

  it('lets the same id be registered again after unregistering', () => {
    const bus = new HookBus();
    const off = bus.register(handler('a', () => Continue()));
    off();
    expect(codeOf(() => bus.register(handler('a', () => Continue())))).toBeUndefined();
  });

  it('rejects unknown hook names with E5003 on register and on emit', async () => {
    const bus = new HookBus();
    for (const hook of ['SessionBegin', 'custom:', 'custom:has space', 'sessionstart']) {
      expect(codeOf(() => bus.register(handler('a', () => Continue(), { hook: hook as HookName })))).toBe('E5003');
      await expect(bus.emitSeries(hook as HookName, null)).rejects.toMatchObject({ code: 'E5003' });
      await expect(bus.emitParallel(hook as HookName, null)).rejects.toMatchObject({ code: 'E5003' });
    }
    expect(bus.stats().emits).toBe(0);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an empty id', { id: '' }],
    ['an empty owner', { owner: '' }],
    ['a NaN priority', { priority: Number.NaN }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['a timeout setTimeout cannot honour', { timeoutMs: 2 ** 31 }],
    ['a non-function handle', { handle: 'nope' }],
  ])('rejects a handler with %s with E5004', (_label, override) => {
    const bus = new HookBus();
    const bad = { ...handler('a', () => Continue()), ...override } as never;
    expect(codeOf(() => bus.register(bad))).toBe('E5004');
    expect(bus.handlers(HOOK)).toEqual([]);
  });

  it('rejects a second handler with the same owner and id on a hook (E5004)', () => {
    const bus = new HookBus();
    bus.register(handler('a', () => Continue()));
    expect(codeOf(() => bus.register(handler('a', () => Continue())))).toBe('E5004');
    expect(codeOf(() => bus.register(handler('a', () => Continue(), { owner: 'host' })))).toBeUndefined();
  });

  it('rejects an unusable default timeout', () => {
    expect(codeOf(() => new HookBus({ defaultTimeoutMs: -1 }))).toBe('E5004');
  });
});

describe('HookBus execution records and counters', () => {
  it('records one execution per handler with hook, handler, owner, time and result', async () => {
    const recorder = new MemoryHookExecutionRecorder();
    const at = Date.UTC(2025, 0, 2, 3, 4, 5);
    const bus = new HookBus({ recorder, now: () => at });
    bus.register(handler('a', () => Continue(), { owner: '@rimuru/p' }));
    await bus.emitSeries(HOOK, null);
    const [execution] = recorder.recent();
    expect(execution).toMatchObject({
      hook: HOOK,
      handlerId: 'a',
      owner: '@rimuru/p',
      startedAt: '2025-01-02T03:04:05.000Z',
      result: 'continue',
    });
    expect(execution?.error).toBeUndefined();
    expect(execution?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('counts emits, handler runs, errors and timeouts', async () => {
    const bus = new HookBus();
    bus.register(handler('ok', () => Continue()));
    bus.register(handler('bad', () => { throw new Error('x'); }));
    bus.register(handler('slow', () => new Promise(() => undefined), { timeoutMs: 5 }));
    await bus.emitSeries(HOOK, null);
    await bus.emitParallel(HOOK, null);
    await bus.emitSeries('custom:nobody-listens', null);
    expect(bus.stats()).toEqual({ emits: 3, handlerRuns: 6, errors: 2, timeouts: 2 });
  });
});

describe('MemoryHookExecutionRecorder', () => {
  const execution = (n: number) => ({
    hook: HOOK,
    handlerId: `h${n}`,
    owner: 'host',
    startedAt: new Date(n).toISOString(),
    durationMs: 0,
    result: 'continue' as const,
  });

  it('keeps only the newest executions, oldest first', () => {
    const recorder = new MemoryHookExecutionRecorder(3);
    for (let n = 1; n <= 5; n++) recorder.record(execution(n));
    expect(recorder.size).toBe(3);
    expect(recorder.recent().map((e) => e.handlerId)).toEqual(['h3', 'h4', 'h5']);
    expect(recorder.recent(2).map((e) => e.handlerId)).toEqual(['h4', 'h5']);
    expect(recorder.recent(10).map((e) => e.handlerId)).toEqual(['h3', 'h4', 'h5']);
    expect(recorder.recent(0)).toEqual([]);
  });

  it('returns what it holds before wrapping and empties on clear', () => {
    const recorder = new MemoryHookExecutionRecorder(4);
    recorder.record(execution(1));
    recorder.record(execution(2));
    expect(recorder.recent().map((e) => e.handlerId)).toEqual(['h1', 'h2']);
    recorder.clear();
    expect(recorder.recent()).toEqual([]);
    recorder.record(execution(3));
    expect(recorder.recent().map((e) => e.handlerId)).toEqual(['h3']);
  });

  it('refuses a capacity that cannot hold anything', () => {
    expect(() => new MemoryHookExecutionRecorder(0)).toThrow(expect.objectContaining({ code: 'E4001' }));
  });
});
