import { Continue, Modified, type HookName, type HookResult } from '../../../sdk/src/hooks';
import { HookBus, MemoryHookExecutionRecorder } from '../../../kernel/core/hooks';
import { handler, never, sleep } from './handler-fixtures';

const HOOK: HookName = 'custom:test';
const PLUGIN = '@rimuru/flaky-plugin';

describe('HookBus failure isolation', () => {
  it.each<[string, () => Promise<HookResult> | HookResult, 'error' | 'timeout', string]>([
    ['throws', () => { throw new Error('kaboom'); }, 'error', 'E5002'],
    ['rejects', () => Promise.reject(new Error('async kaboom')), 'error', 'E5002'],
    ['rejects with a non-Error', () => Promise.reject('just a string'), 'error', 'E5002'],
    ['returns undefined', () => undefined as unknown as HookResult, 'error', 'E5002'],
    ['returns an unknown type', () => ({ type: 'explode' }) as unknown as HookResult, 'error', 'E5002'],
    ['returns Abort without a reason', () => ({ type: 'abort' }) as unknown as HookResult, 'error', 'E5002'],
    ['returns Modified without data', () => ({ type: 'modified' }) as unknown as HookResult, 'error', 'E5002'],
    ['returns a bare string', () => 'continue' as unknown as HookResult, 'error', 'E5002'],
    ['never settles', () => never<HookResult>(), 'timeout', 'E5001'],
  ])('records a handler that %s and still runs the others', async (_label, handle, result, code) => {
    const recorder = new MemoryHookExecutionRecorder();
    const bus = new HookBus({ recorder });
    const ran: string[] = [];
    bus.register(handler('before', () => (ran.push('before'), Modified({ step: 1 })), { priority: 1 }));
    bus.register(handler('bad', handle, { priority: 2, owner: PLUGIN, timeoutMs: 20 }));
    bus.register(handler('after', (p) => (ran.push(`after:${JSON.stringify(p)}`), Continue()), { priority: 3 }));

    const emitted = await bus.emitSeries(HOOK, { step: 0 });

    expect(ran).toEqual(['before', 'after:{"step":1}']);
    expect(emitted.payload).toEqual({ step: 1 });
    expect(emitted.aborted).toBeUndefined();
    expect(emitted.executions.map((e) => e.result)).toEqual(['modified', result, 'continue']);
    const bad = emitted.executions[1];
    expect(bad?.error?.code).toBe(code);
    // The message names both the plugin and the hook, so a user knows what to disable.
    expect(bad?.error?.message).toContain(PLUGIN);
    expect(bad?.error?.message).toContain(HOOK);
    expect(recorder.recent()).toEqual(emitted.executions);
  });

  it('names host handlers as such in errors', async () => {
    const bus = new HookBus();
    bus.register(handler('host-thing', () => { throw new Error('nope'); }, { owner: 'host' }));
    const { executions } = await bus.emitSeries(HOOK, null);
    expect(executions[0]?.error?.message).toBe('Hook "custom:test": host handler "host-thing" failed: nope');
  });

  it('logs each failure at warn with the hook, handler and owner', async () => {
    const warnings: Array<{ bindings: Record<string, unknown>; message: string | undefined }> = [];
    const logger = { warn: (bindings: Record<string, unknown>, message?: string) => void warnings.push({ bindings, message }) };
    const bus = new HookBus({ logger: logger as never });
    bus.register(handler('bad', () => { throw new Error('x'); }, { owner: PLUGIN }));
    await bus.emitSeries(HOOK, null);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.bindings).toMatchObject({ hook: HOOK, handlerId: 'bad', owner: PLUGIN });
    expect(warnings[0]?.message).toContain('failed: x');
  });

  it('ignores a timed-out handler that settles later, and its late rejection is never unhandled', async () => {
    // Jest fails the running test on any unhandled rejection, so the sleep below is where a
    // leaked rejection from `slow-reject` would surface.
    const bus = new HookBus();
    let lateModify: (r: HookResult) => void = () => undefined;
    let lateReject: (e: Error) => void = () => undefined;
    bus.register(handler('slow-modify', () => new Promise<HookResult>((resolve) => { lateModify = resolve; }), { priority: 1, timeoutMs: 10 }));
    bus.register(handler('slow-reject', () => new Promise<HookResult>((_, reject) => { lateReject = reject; }), { priority: 2, timeoutMs: 10 }));

    const result = await bus.emitSeries(HOOK, 'original');
    lateModify(Modified('too late'));
    lateReject(new Error('late failure'));
    await sleep(20);

    expect(result.payload).toBe('original');
    expect(result.executions.map((e) => e.result)).toEqual(['timeout', 'timeout']);
  });

  it('keeps dispatching when the recorder throws or rejects', async () => {
    const bus1 = new HookBus({ recorder: { record: () => { throw new Error('disk full'); } } });
    const bus2 = new HookBus({ recorder: { record: () => Promise.reject(new Error('db gone')) } });
    for (const bus of [bus1, bus2]) {
      bus.register(handler('a', () => Modified(2)));
      await expect(bus.emitSeries(HOOK, 1)).resolves.toMatchObject({ payload: 2 });
    }
  });
});

describe('HookBus timeouts with fake timers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('applies the bus default to handlers without their own timeout', async () => {
    const bus = new HookBus({ defaultTimeoutMs: 1000 });
    bus.register(handler('wedged', () => never<HookResult>(), { priority: 1 }));
    bus.register(handler('quick', () => Continue(), { priority: 2 }));

    const pending = bus.emitSeries(HOOK, null);
    let done = false;
    void pending.then(() => { done = true; });
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const result = await pending;

    expect(result.executions.map((e) => [e.handlerId, e.result])).toEqual([['wedged', 'timeout'], ['quick', 'continue']]);
    expect(result.executions[0]?.error?.message).toContain('1000 ms');
  });

  it('lets a handler own timeout override the default', async () => {
    const bus = new HookBus({ defaultTimeoutMs: 60_000 });
    bus.register(handler('short', () => never<HookResult>(), { timeoutMs: 50 }));
    const pending = bus.emitSeries(HOOK, null);
    await jest.advanceTimersByTimeAsync(50);
    await expect(pending).resolves.toMatchObject({ executions: [{ result: 'timeout' }] });
  });

  it('leaves no timer behind once handlers settle', async () => {
    const bus = new HookBus();
    bus.register(handler('quick', () => Continue()));
    await bus.emitSeries(HOOK, null);
    expect(jest.getTimerCount()).toBe(0);
  });
});
