import { Abort, Continue, Modified, type HookName, type HookResult } from '../../../sdk/src/hooks';
import { HookBus } from '../../../kernel/core/hooks';
import { handler, never } from './handler-fixtures';

const HOOK: HookName = 'custom:fanout';

/** Resolves once `count` parties have arrived: only possible if they run concurrently. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const all = new Promise<void>((resolve) => { release = resolve; });
  return () => {
    arrived++;
    if (arrived === count) release();
    return all;
  };
}

describe('HookBus.emitParallel', () => {
  it('starts every handler before any has finished', async () => {
    const bus = new HookBus();
    const arrive = barrier(3);
    for (const id of ['a', 'b', 'c']) {
      // Each waits for the other two; run one after another they would all time out.
      bus.register(handler(id, async () => (await arrive(), Continue()), { hook: HOOK, timeoutMs: 2000 }));
    }
    const { executions } = await bus.emitParallel(HOOK, null);
    expect(executions.map((e) => e.result)).toEqual(['continue', 'continue', 'continue']);
  });

  it('reports executions in priority order whatever order they finish in', async () => {
    const bus = new HookBus();
    let releaseFirst: () => void = () => undefined;
    const firstGate = new Promise<void>((resolve) => { releaseFirst = resolve; });
    bus.register(handler('first', async () => (await firstGate, Continue()), { hook: HOOK, priority: 1 }));
    bus.register(handler('second', () => (releaseFirst(), Continue()), { hook: HOOK, priority: 2 }));
    const { executions } = await bus.emitParallel(HOOK, null);
    expect(executions.map((e) => e.handlerId)).toEqual(['first', 'second']);
  });

  it('gives every handler the original payload, ignores Modified and reports every Abort without stopping anyone', async () => {
    const bus = new HookBus();
    const seen: unknown[] = [];
    const record = (id: string, result: HookResult, priority: number) =>
      bus.register(handler(id, (p) => (seen.push([id, p]), result), { hook: HOOK, priority, owner: `@rimuru/${id}` }));
    record('modifier', Modified('changed'), 1);
    record('veto-1', Abort('first reason'), 2);
    record('plain', Continue(), 3);
    record('veto-2', Abort('second reason'), 4);

    const result = await bus.emitParallel(HOOK, 'original');

    expect(seen).toEqual([['modifier', 'original'], ['veto-1', 'original'], ['plain', 'original'], ['veto-2', 'original']]);
    expect(result.executions.map((e) => e.result)).toEqual(['modified', 'abort', 'continue', 'abort']);
    expect(result.aborts).toEqual([
      { reason: 'first reason', handlerId: 'veto-1', owner: '@rimuru/veto-1' },
      { reason: 'second reason', handlerId: 'veto-2', owner: '@rimuru/veto-2' },
    ]);
  });

  it('isolates a throwing and a hanging handler from the rest', async () => {
    const bus = new HookBus();
    bus.register(handler('throws', () => { throw new Error('bad'); }, { hook: HOOK, priority: 1 }));
    bus.register(handler('hangs', () => never<HookResult>(), { hook: HOOK, priority: 2, timeoutMs: 15 }));
    bus.register(handler('fine', () => Continue(), { hook: HOOK, priority: 3 }));
    const { executions } = await bus.emitParallel(HOOK, null);
    expect(executions.map((e) => [e.handlerId, e.result, e.error?.code])).toEqual([
      ['throws', 'error', 'E5002'],
      ['hangs', 'timeout', 'E5001'],
      ['fine', 'continue', undefined],
    ]);
  });
});
