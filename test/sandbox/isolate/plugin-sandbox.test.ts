import { ErrorCodes, PermissionDeniedError, RimuruError, SandboxError } from '../../../kernel/core/errors';
import { PluginSandbox, resolveLimits, type HostCallHandler, type SandboxLimits } from '../../../sandbox/isolate';
import { BUNDLE_GLOBAL } from '../../../sdk/src/protocol';
import { rejectionOf } from '../../../sdk/src/testing';
import { rawBundle } from './raw-bundle';

// A small CPU slice keeps the loop tests quick; the wall deadline is far above it so a loaded
// machine cannot turn a CPU timeout into a wall timeout. No assertion depends on elapsed time.
const LIMITS: SandboxLimits = resolveLimits({ memoryMb: 32, callTimeoutMs: 150, wallTimeoutMs: 10_000, maxResultBytes: 64 * 1024 });
const SHORT_WALL = { wallTimeoutMs: 300 };

const started: PluginSandbox[] = [];
afterEach(() => {
  for (const sandbox of started.splice(0)) sandbox.dispose('test over');
});

interface HostCall {
  capability: string;
  method: string;
  args: unknown;
}

async function start(
  methods: string,
  options: { hostCall?: HostCallHandler; limits?: Partial<SandboxLimits>; config?: unknown; bundle?: string } = {},
): Promise<PluginSandbox> {
  const sandbox = await PluginSandbox.start({
    pluginName: 'test-plugin',
    pluginVersion: '1.2.3',
    bundleCode: options.bundle ?? rawBundle(methods),
    limits: resolveLimits({ ...LIMITS, ...options.limits }),
    hostCall: options.hostCall ?? (async () => 'null'),
    config: options.config ?? {},
  });
  started.push(sandbox);
  return sandbox;
}


describe('PluginSandbox calls', () => {
  it('describes the bundle, activates it with its identity and config, and round-trips invoke arguments', async () => {
    const sandbox = await start(`add: (a, b) => a + b, echo: (value) => value`, { config: { region: 'eu' } });
    expect(sandbox.description).toEqual({ kind: 'hook', methods: ['add', 'echo'], hooks: [] });
    await sandbox.activate();
    expect(await sandbox.invoke('identity')).toEqual({ pluginName: 'test-plugin', pluginVersion: '1.2.3', config: { region: 'eu' } });
    expect(await sandbox.invoke<number>('add', [2, 40])).toBe(42);
    const value = { nested: [1, 'two', { three: null }], unicode: 'héllo ✓' };
    expect(await sandbox.invoke('echo', [value])).toEqual(value);
  });

  it('hands lines inside the JSON to a runtime that does not take them as a payload', async () => {
    const sandbox = await start(`lines: (input) => ({ lines: input.lines, x: input.x })`);
    await sandbox.activate();
    expect(sandbox.supports('lines-payload')).toBe(false);
    expect(await sandbox.invoke('lines', [{ x: 1 }], { lines: { text: 'a\n\nb', count: 3 } })).toEqual({ lines: ['a', '', 'b'], x: 1 });
    expect(await sandbox.invoke('lines', [{ x: 2 }], { lines: { text: '', count: 0 } })).toEqual({ lines: [], x: 2 });
  });

  it('runs a batch as separate invokes on a runtime without invoke-batch, each settling on its own', async () => {
    const sandbox = await start(`lines: (input) => ({ lines: input.lines, x: input.x }), boom: () => { throw new Error('boom') }`);
    await sandbox.activate();
    expect(sandbox.supports('invoke-batch')).toBe(false);
    const settled = await sandbox.invokeBatch([
      { method: 'lines', args: [{ x: 1 }], lines: { text: 'a\nb', count: 2 } },
      { method: 'boom', args: [] },
      { method: 'lines', args: [{ x: 2 }], lines: { text: '', count: 0 } },
    ]);
    expect(settled[0]).toEqual({ value: { lines: ['a', 'b'], x: 1 } });
    expect((settled[1] as { error: SandboxError }).error).toMatchObject({ code: ErrorCodes.PLUGIN_THREW });
    expect(settled[2]).toEqual({ value: { lines: [], x: 2 } });
  });

  it('answers overlapping calls independently', async () => {
    let release: (value: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => (release = resolve));
    const sandbox = await start(`wait: () => call('kv', 'get', {}), now: () => 'now'`, { hostCall: () => slow });
    const waiting = sandbox.invoke('wait');
    expect(await sandbox.invoke('now')).toBe('now');
    release('"later"');
    expect(await waiting).toBe('later');
  });

  it('carries capability calls to the host handler and its JSON answer back', async () => {
    const calls: HostCall[] = [];
    const sandbox = await start(`read: async (path) => { const r = JSON.parse(await host('fs', 'read', { path })); return r.data.toUpperCase(); }`, {
      hostCall: async (capability, method, argsJson) => {
        calls.push({ capability, method, args: JSON.parse(argsJson) });
        return JSON.stringify({ data: 'file text' });
      },
    });
    expect(await sandbox.invoke('read', ['/tmp/x'])).toBe('FILE TEXT');
    expect(calls).toEqual([{ capability: 'fs', method: 'read', args: { path: '/tmp/x' } }]);
  });

  it('hands a host failure to the plugin as a WireError it can catch', async () => {
    const sandbox = await start(
      `tryRead: async () => { try { await host('fs', 'read', {}); return 'read'; } catch (e) { return JSON.parse(e.message); } }`,
      {
        hostCall: async () => {
          throw new PermissionDeniedError('Plugin test-plugin may not read /etc/passwd');
        },
      },
    );
    expect(await sandbox.invoke('tryRead')).toEqual({ code: ErrorCodes.PERMISSION_DENIED, message: 'Plugin test-plugin may not read /etc/passwd' });
  });

  it('turns a non-Rimuru host failure into E2009 for the plugin', async () => {
    const sandbox = await start(`call: async () => { try { await host('http', 'fetch', {}); } catch (e) { return JSON.parse(e.message).code; } }`, {
      hostCall: () => {
        throw new TypeError('socket hang up');
      },
    });
    expect(await sandbox.invoke('call')).toBe(ErrorCodes.CAPABILITY_FAILED);
  });

  it('fails a throwing method with E2006 and keeps the plugin alive', async () => {
    const sandbox = await start(`boom: () => { throw new Error('kaboom'); }, ok: () => 'still here'`);
    const error = await rejectionOf(sandbox.invoke('boom'));
    expect(error).toBeInstanceOf(SandboxError);
    expect(error.code).toBe(ErrorCodes.PLUGIN_THREW);
    expect(error.message).toContain('kaboom');
    expect(error.message).toContain('invoke(boom)');
    expect(sandbox.disposed).toBe(false);
    expect(await sandbox.invoke('ok')).toBe('still here');
  });

  it('returns the host error itself when the plugin lets a refused capability call through', async () => {
    const denied = new PermissionDeniedError('Plugin test-plugin may not read /etc/passwd');
    const sandbox = await start(`read: () => call('fs', 'read', { path: '/etc/passwd' })`, {
      hostCall: async () => {
        throw denied;
      },
    });
    const error = await rejectionOf(sandbox.invoke('read'));
    expect(error).toBe(denied);
    expect(error.code).toBe(ErrorCodes.PERMISSION_DENIED);
  });

  it('does not let a plugin pass off its own error as a host verdict', async () => {
    const sandbox = await start(`forge: () => { const e = new Error('Plugin other may not read /'); e.code = 'E2004'; throw e; }`);
    const error = await rejectionOf(sandbox.invoke('forge'));
    expect(error.code).toBe(ErrorCodes.PLUGIN_THREW);
    expect(error.details).toMatchObject({ pluginCode: ErrorCodes.PERMISSION_DENIED });
  });

  it('validates hook results', async () => {
    const sandbox = await start(`Good: () => ({ type: 'abort', reason: 'over budget' }), Bad: () => ({ type: 'explode' })`);
    expect(await sandbox.runHook('Good', {})).toEqual({ type: 'abort', reason: 'over budget' });
    const error = await rejectionOf(sandbox.runHook('Bad', {}));
    expect(error.code).toBe(ErrorCodes.PLUGIN_THREW);
    expect(error.message).toContain('Bad handler returned an invalid result');
    expect(sandbox.disposed).toBe(false);
  });

  it('refuses arguments that cannot be sent as JSON without touching the plugin', async () => {
    const sandbox = await start(`echo: (v) => v`);
    const error = await rejectionOf(sandbox.invoke('echo', [10n]));
    expect(error.code).toBe(ErrorCodes.CAPABILITY_BAD_REQUEST);
    expect(await sandbox.invoke('echo', [1])).toBe(1);
  });

  it('reports a result that is not JSON text as E2006', async () => {
    const sandbox = await start(`notJson: () => 'raw:{oops'`);
    const error = await rejectionOf(sandbox.invoke('notJson'));
    expect(error.code).toBe(ErrorCodes.PLUGIN_THREW);
    expect(error.message).toContain('not JSON');
  });

  it('reports stats from the isolate', async () => {
    const sandbox = await start(`spin: () => { let x = 0; for (let i = 0; i < 1e6; i++) x += i; return x; }`);
    await sandbox.invoke('spin');
    const stats = await sandbox.stats();
    expect(stats.heapUsedBytes).toBeGreaterThan(0);
    expect(stats.heapLimitBytes).toBeGreaterThan(0);
    expect(stats.cpuTimeMs).toBeGreaterThan(0);
    expect(stats.wallTimeMs).toBeGreaterThanOrEqual(stats.cpuTimeMs * 0.5);
    expect(stats).toMatchObject({ pendingCalls: 0, pendingHostCalls: 0, disposed: false });
  });
});

describe('PluginSandbox limits', () => {
  async function expectFatal(sandbox: PluginSandbox, call: Promise<unknown>, code: string): Promise<RimuruError> {
    const fatal: SandboxError[] = [];
    sandbox.onFatal((error) => fatal.push(error));
    const error = await rejectionOf(call);
    expect(error.code).toBe(code);
    expect(sandbox.disposed).toBe(true);
    expect(fatal).toEqual([error]);
    expect(sandbox.failure).toBe(error);
    const after = await rejectionOf(sandbox.invoke('anything'));
    expect(after.code).toBe(ErrorCodes.SANDBOX_DISPOSED);
    expect(after.message).toContain(error.message);
    return error;
  }

  it('kills an endless loop with the CPU limit (E2002)', async () => {
    const sandbox = await start(`spin: () => { for (;;) {} }`);
    const error = await expectFatal(sandbox, sandbox.invoke('spin'), ErrorCodes.SANDBOX_CPU_TIMEOUT);
    expect(error.message).toContain('invoke(spin)');
    expect(error.message).toContain(`${LIMITS.callTimeoutMs} ms`);
  });

  it('kills an endless loop that starts after an awaited capability call (E2002)', async () => {
    const sandbox = await start(`spinLater: async () => { await host('kv', 'get', {}); for (;;) {} }`);
    const error = await expectFatal(sandbox, sandbox.invoke('spinLater'), ErrorCodes.SANDBOX_CPU_TIMEOUT);
    expect(error.message).toContain('after capability call kv.get');
  });

  it('kills a call stuck on a host promise that never settles with the wall deadline (E2003)', async () => {
    const sandbox = await start(`hang: () => host('http', 'fetch', {})`, { hostCall: () => new Promise<string>(() => undefined), limits: SHORT_WALL });
    const error = await expectFatal(sandbox, sandbox.invoke('hang'), ErrorCodes.SANDBOX_WALL_TIMEOUT);
    expect(error.message).toContain(`deadline of ${SHORT_WALL.wallTimeoutMs} ms`);
  });

  it('kills a memory bomb with the memory limit (E2001)', async () => {
    const sandbox = await start(`bomb: () => { const keep = []; for (let i = 0; ; i++) keep.push({ i, pad: 'x'.repeat(64) + i }); }`, {
      limits: { memoryMb: 16, callTimeoutMs: 20_000, wallTimeoutMs: 25_000 },
    });
    const error = await expectFatal(sandbox, sandbox.invoke('bomb'), ErrorCodes.SANDBOX_MEMORY_LIMIT);
    expect(error.message).toContain('16 MB');
  });

  it('refuses a result longer than maxResultBytes before copying it (E2005)', async () => {
    const sandbox = await start(`big: () => 'x'.repeat(${LIMITS.maxResultBytes + 10})`);
    const error = await expectFatal(sandbox, sandbox.invoke('big'), ErrorCodes.SANDBOX_RESULT_TOO_LARGE);
    expect(error.message).toContain(`${LIMITS.maxResultBytes} bytes`);
  });

  it('counts UTF-8 bytes, not characters, against maxResultBytes (E2005)', async () => {
    // 3 bytes per character: under the limit in characters, three times over it in bytes.
    const sandbox = await start(`wide: () => '✓'.repeat(${Math.floor(LIMITS.maxResultBytes / 2)})`);
    const error = await expectFatal(sandbox, sandbox.invoke('wide'), ErrorCodes.SANDBOX_RESULT_TOO_LARGE);
    expect(error.message).toContain('bytes from invoke(wide)');
  });

  it('fails every call in flight with the limit that was broken', async () => {
    const sandbox = await start(`hang: () => host('kv', 'get', {}), spin: () => { for (;;) {} }`, {
      hostCall: () => new Promise<string>(() => undefined),
    });
    const waiting = rejectionOf(sandbox.invoke('hang'));
    const spin = await rejectionOf(sandbox.invoke('spin'));
    expect(spin.code).toBe(ErrorCodes.SANDBOX_CPU_TIMEOUT);
    expect(await waiting).toBe(spin);
  });

  it('tells an onFatal listener that subscribes after the death, once', async () => {
    const sandbox = await start(`spin: () => { for (;;) {} }`);
    const error = await rejectionOf(sandbox.invoke('spin'));
    const late = await new Promise<SandboxError>((resolve) => sandbox.onFatal(resolve));
    expect(late).toBe(error);
  });
});

describe('PluginSandbox dispose', () => {
  it('fails calls in flight and later calls with E2008, without reporting a fatal error', async () => {
    const sandbox = await start(`hang: () => host('kv', 'get', {})`, { hostCall: () => new Promise<string>(() => undefined) });
    const fatal = jest.fn();
    sandbox.onFatal(fatal);
    const waiting = rejectionOf(sandbox.invoke('hang'));
    sandbox.dispose('plugin disabled');
    sandbox.dispose('twice is fine');
    const error = await waiting;
    expect(error.code).toBe(ErrorCodes.SANDBOX_DISPOSED);
    expect(error.message).toContain('plugin disabled');
    expect((await rejectionOf(sandbox.activate())).code).toBe(ErrorCodes.SANDBOX_DISPOSED);
    expect(fatal).not.toHaveBeenCalled();
    expect((await sandbox.stats()).disposed).toBe(true);
  });
});

describe('PluginSandbox bundle loading (E2007)', () => {
  const cases: Array<[string, string, string]> = [
    ['a syntax error', 'this is not javascript (', 'does not compile'],
    ['no bundle global', 'var somethingElse = 1;', `did not define the global "${BUNDLE_GLOBAL}"`],
    ['no default export', `var ${BUNDLE_GLOBAL} = {};`, 'has no default export'],
    ['a default export that is not a runtime', `var ${BUNDLE_GLOBAL} = { default: { dispatch: 1 } };`, 'not a Rimuru plugin'],
    ['a top-level throw', `throw new Error('bad init');`, 'threw while loading: bad init'],
    [
      'an invalid describe',
      `var ${BUNDLE_GLOBAL} = { default: { __rimuru: 1, dispatch: async () => JSON.stringify({ kind: 7 }) } };`,
      'describe returned',
    ],
  ];

  it.each(cases)('refuses %s', async (_name, bundle, message) => {
    const error = await rejectionOf(start('', { bundle }));
    expect(error.code).toBe(ErrorCodes.SANDBOX_BAD_BUNDLE);
    expect(error.message).toContain('test-plugin');
    expect(error.message).toContain(message);
  });

  it('refuses a runtime whose dispatch resolves to something other than text', async () => {
    const error = await rejectionOf(start('', { bundle: `var ${BUNDLE_GLOBAL} = { default: { __rimuru: 1, dispatch: async () => 42 } };` }));
    expect(error.code).toBe(ErrorCodes.PLUGIN_THREW);
    expect(error.message).toContain('number instead of JSON text');
  });

  it('stops a bundle that loops while loading with the CPU limit', async () => {
    const error = await rejectionOf(start('', { bundle: `for (;;) {}` }));
    expect(error.code).toBe(ErrorCodes.SANDBOX_CPU_TIMEOUT);
    expect(error.message).toContain('loading its bundle');
  });
});

describe('PluginSandbox isolation', () => {
  it('gives plugin code no Node or isolated-vm objects', async () => {
    const sandbox = await start(`probe: () => ({
      require: typeof require, process: typeof process, module: typeof module, Buffer: typeof Buffer,
      setTimeout: typeof setTimeout, fetch: typeof fetch, ivm: typeof ivm, global: typeof global,
      viaFunction: Function('return typeof process + typeof require')(),
      viaHostCall: globalThis.__rimuruHostCall.constructor('return typeof process + typeof require')(),
      hostCallSource: Function.prototype.toString.call(globalThis.__rimuruHostCall).includes('[native code]'),
      globals: Object.getOwnPropertyNames(globalThis).filter((name) => !/^[A-Z]/.test(name)).sort(),
    })`);
    expect(await sandbox.invoke('probe')).toEqual({
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      setTimeout: 'undefined',
      fetch: 'undefined',
      ivm: 'undefined',
      global: 'undefined',
      viaFunction: 'undefinedundefined',
      viaHostCall: 'undefinedundefined',
      // A plain isolate function (the bridge closure), not the raw ivm callback.
      hostCallSource: false,
      globals: [
        '__rimuruHostCall',
        '__rimuru_bundle__',
        'console',
        'decodeURI',
        'decodeURIComponent',
        'encodeURI',
        'encodeURIComponent',
        'escape',
        'eval',
        'globalThis',
        'isFinite',
        'isNaN',
        'parseFloat',
        'parseInt',
        'undefined',
        'unescape',
      ],
    });
  });

  it('does not let plugin code replace the host-call function', async () => {
    const sandbox = await start(`swap: () => { 'use strict'; try { globalThis.__rimuruHostCall = () => 1; return 'replaced'; } catch (e) { return e.constructor.name; } }`);
    expect(await sandbox.invoke('swap')).toBe('TypeError');
  });

  it('bounds capability arguments inside the isolate, before the host sees them', async () => {
    const handler = jest.fn(async () => 'null');
    const sandbox = await start(
      `huge: async () => { try { await globalThis.__rimuruHostCall('kv', 'set', 'x'.repeat(25 * 1024 * 1024)); } catch (e) { return JSON.parse(e.message); } },
       notText: async () => { try { await globalThis.__rimuruHostCall('kv', 'set', { sneaky: true }); } catch (e) { return JSON.parse(e.message).code; } },
       badName: async () => { try { await globalThis.__rimuruHostCall('k'.repeat(65), 'get', '{}'); } catch (e) { return JSON.parse(e.message).code; } }`,
      { hostCall: handler, limits: { memoryMb: 128 } },
    );
    const huge = (await sandbox.invoke('huge')) as { code: string; message: string };
    expect(huge.code).toBe(ErrorCodes.CAPABILITY_BAD_REQUEST);
    expect(huge.message).toContain('more than the');
    expect(await sandbox.invoke('notText')).toBe(ErrorCodes.CAPABILITY_BAD_REQUEST);
    expect(await sandbox.invoke('badName')).toBe(ErrorCodes.CAPABILITY_BAD_REQUEST);
    expect(handler).not.toHaveBeenCalled();
  });

  it('bounds how many capability calls may wait on the host at once', async () => {
    let received = 0;
    const sandbox = await start(
      `flood: async () => {
        const outcomes = await Promise.allSettled(Array.from({ length: 300 }, () => host('kv', 'get', {})).map((p) => Promise.race([p, Promise.resolve('pending')])));
        return outcomes.filter((o) => o.status === 'rejected').map((o) => JSON.parse(o.reason.message).code);
      }`,
      {
        hostCall: () => {
          received++;
          return new Promise<string>(() => undefined);
        },
      },
    );
    const refused = (await sandbox.invoke('flood')) as string[];
    expect(refused).toHaveLength(300 - 256);
    expect(new Set(refused)).toEqual(new Set([ErrorCodes.CAPABILITY_BAD_REQUEST]));
    // The host receives the calls on its own event loop turns: let them arrive, then count.
    for (let turn = 0; turn < 1000 && received < 256; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(received).toBe(256);
    expect((await sandbox.stats()).pendingHostCalls).toBe(256);
  });

  it('keeps two plugins apart: globals set by one are not seen by the other', async () => {
    const a = await start(`set: () => { globalThis.shared = 'from a'; return true; }`);
    const b = await start(`get: () => typeof globalThis.shared`);
    expect(await a.invoke('set')).toBe(true);
    expect(await b.invoke('get')).toBe('undefined');
  });
});
