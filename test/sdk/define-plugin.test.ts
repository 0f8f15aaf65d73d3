import { Abort, CapabilityError, defineAdapter, defineHookPlugin, definePlugin, HOST_CALL_GLOBAL } from '@rimuru/sdk';

/**
 * The dispatcher is plain code that also runs outside an isolate, so its contract (what goes
 * over the wire for each dispatch method) is checked here directly; test/security and
 * test/sandbox run the same code inside real isolates.
 */
type HostCall = (cap: string, method: string, argsJson: string) => Promise<string>;
const globals = globalThis as unknown as Record<string, HostCall | undefined>;

function withHost(fn: HostCall): void {
  globals[HOST_CALL_GLOBAL] = fn;
}

afterEach(() => {
  delete globals[HOST_CALL_GLOBAL];
});

const activate = JSON.stringify({ pluginName: 'p', pluginVersion: '1.0.0', config: { greeting: 'hi' } });

describe('definePlugin dispatch', () => {
  it('describes its kind, methods and hooks', async () => {
    const plugin = defineAdapter({
      discover: async () => ({ installed: false, paths: [] }),
      sources: async () => [],
      parse: async () => ({ records: [], sessions: [] }),
      hooks: { SessionStart: () => undefined },
    });
    const description = JSON.parse(await plugin.dispatch('describe', '{}'));
    expect(description).toEqual({ kind: 'adapter', methods: ['discover', 'sources', 'parse'], hooks: ['SessionStart'], features: ['lines-payload', 'invoke-batch'] });
  });

  it('hands lines sent as a payload to the method as its first argument\'s lines', async () => {
    const plugin = definePlugin({ kind: 'skill', methods: { count: (input: { lines: string[]; n: number }) => ({ lines: input.lines, n: input.n }) } });
    await plugin.dispatch('activate', activate);
    const call = (count: number, payload: string): Promise<string> =>
      plugin.dispatch('invoke', JSON.stringify({ method: 'count', args: [{ n: 1 }], linesPayload: count }), payload);
    expect(JSON.parse(await call(3, '{"a":1}\n\n{"b":2}'))).toEqual({ lines: ['{"a":1}', '', '{"b":2}'], n: 1 });
    expect(JSON.parse(await call(1, ''))).toEqual({ lines: [''], n: 1 });
    expect(JSON.parse(await call(0, ''))).toEqual({ lines: [], n: 1 });
    await expect(call(2, 'one line')).rejects.toThrow(/"code":"E2010"/);
    await expect(plugin.dispatch('invoke', JSON.stringify({ method: 'count', args: [{ n: 1 }], linesPayload: 1 }))).rejects.toThrow(/"code":"E2010"/);
  });

  it('runs a batch of invokes in order, each with its share of the lines, each answered on its own', async () => {
    const seen: number[] = [];
    const plugin = definePlugin({
      kind: 'skill',
      methods: {
        count: (input: { lines?: string[]; n: number }) => (seen.push(input.n), { lines: input.lines, n: input.n }),
        fail: () => {
          throw Object.assign(new Error('denied'), { code: 'E2004' });
        },
      },
    });
    await plugin.dispatch('activate', activate);
    const calls = [
      { method: 'count', args: [{ n: 1 }], linesPayload: 2 },
      { method: 'count', args: [{ n: 2 }], linesPayload: 0 },
      { method: 'fail', args: [] },
      { method: 'nope', args: [] },
      { method: 'count', args: [{ n: 3 }] },
      { method: 'count', args: [{ n: 4 }], linesPayload: 1 },
    ];
    const outcomes = JSON.parse(await plugin.dispatch('invokeBatch', JSON.stringify({ calls }), 'a\n{"b":1}\nc'));
    expect(outcomes).toEqual([
      { ok: { lines: ['a', '{"b":1}'], n: 1 } },
      { ok: { lines: [], n: 2 } },
      { threw: { code: 'E2004', message: 'Error: denied' } },
      { threw: { code: 'E2010', message: expect.stringContaining('no method "nope"') } },
      { ok: { n: 3 } },
      { ok: { lines: ['c'], n: 4 } },
    ]);
    expect(seen).toEqual([1, 2, 3, 4]);
    // Lines announced that the payload does not hold fail the whole batch, as one invoke's would.
    await expect(plugin.dispatch('invokeBatch', JSON.stringify({ calls: calls.slice(0, 1) }), 'only one')).rejects.toThrow(/"code":"E2010"/);
    await expect(plugin.dispatch('invokeBatch', JSON.stringify({ calls: 'no' }))).rejects.toThrow(/"code":"E2010"/);
  });

  it('passes arguments then the context to methods and returns JSON', async () => {
    const plugin = definePlugin({
      kind: 'skill',
      methods: { greet: (name: string, ctx: { config: { greeting: string } }) => `${ctx.config.greeting} ${name}` },
    });
    await plugin.dispatch('activate', activate);
    expect(JSON.parse(await plugin.dispatch('invoke', JSON.stringify({ method: 'greet', args: ['ann'] })))).toBe('hi ann');
  });

  it('refuses calls before activation with a wire error', async () => {
    const plugin = definePlugin({ kind: 'skill', methods: { x: () => 1 } });
    await expect(plugin.dispatch('invoke', JSON.stringify({ method: 'x', args: [] }))).rejects.toThrow(/"code":"E2006"/);
  });

  it('reports an unknown method as E2010', async () => {
    const plugin = definePlugin({ kind: 'skill' });
    await plugin.dispatch('activate', activate);
    await expect(plugin.dispatch('invoke', JSON.stringify({ method: 'nope', args: [] }))).rejects.toThrow(/"code":"E2010"/);
  });

  it('wraps a thrown error as E2006 with its message', async () => {
    const plugin = definePlugin({ kind: 'skill', methods: { boom: () => { throw new TypeError('bad input'); } } });
    await plugin.dispatch('activate', activate);
    const err = await plugin.dispatch('invoke', JSON.stringify({ method: 'boom', args: [] })).catch((e: Error) => e);
    expect(JSON.parse((err as Error).message)).toEqual({ code: 'E2006', message: 'TypeError: bad input' });
  });

  it('turns a void hook result into Continue and a missing handler into Skip', async () => {
    const plugin = defineHookPlugin({ hooks: { SessionStart: () => undefined, SessionEnd: () => Abort('over budget') } });
    await plugin.dispatch('activate', activate);
    const run = async (hook: string) => JSON.parse(await plugin.dispatch('hook', JSON.stringify({ hook, payload: {} })));
    expect(await run('SessionStart')).toEqual({ type: 'continue' });
    expect(await run('SessionEnd')).toEqual({ type: 'abort', reason: 'over budget' });
    expect(await run('CostThreshold')).toEqual({ type: 'skip' });
  });
});

describe('capability clients', () => {
  it('send one flattened JSON argument object per call', async () => {
    const calls: Array<[string, string, unknown]> = [];
    withHost(async (cap, method, argsJson) => {
      calls.push([cap, method, JSON.parse(argsJson)]);
      return JSON.stringify({ lines: [], nextOffset: 10, eof: true, skippedLongLines: 0 });
    });
    const plugin = definePlugin({ kind: 'skill', methods: { read: (ctx: never) => (ctx as { fs: { readLines: Function } }).fs.readLines('/x', { offset: 4 }) } });
    await plugin.dispatch('activate', activate);
    await plugin.dispatch('invoke', JSON.stringify({ method: 'read', args: [] }));
    expect(calls).toEqual([['fs', 'readLines', { path: '/x', offset: 4 }]]);
  });

  it('keep the code of a refused call so the plugin and host can tell why', async () => {
    withHost(async () => {
      throw new Error(JSON.stringify({ code: 'E2004', message: 'fs.read of /etc/passwd is not permitted' }));
    });
    let caught: unknown;
    const plugin = definePlugin({
      kind: 'skill',
      methods: {
        read: async (ctx: { fs: { read(p: string): Promise<unknown> } }) => {
          try {
            await ctx.fs.read('/etc/passwd');
          } catch (err) {
            caught = err;
            throw err;
          }
        },
      },
    });
    await plugin.dispatch('activate', activate);
    const err = await plugin.dispatch('invoke', JSON.stringify({ method: 'read', args: [] })).catch((e: Error) => e);
    expect(caught).toBeInstanceOf(CapabilityError);
    expect((caught as CapabilityError).code).toBe('E2004');
    expect(JSON.parse((err as Error).message).code).toBe('E2004');
  });
});
