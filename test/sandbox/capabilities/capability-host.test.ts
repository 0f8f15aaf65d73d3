import { ErrorCodes, RimuruError } from '../../../kernel/core/errors';
import { makeHost, type HostFixture } from './host-fixture';

describe('createCapabilityHost — dispatch', () => {
  let fx: HostFixture;
  beforeEach(async () => {
    fx = await makeHost();
  });
  afterEach(async () => {
    await fx.dispose();
  });

  it.each([
    ['an unknown capability', 'nope', 'x', '{}'],
    ['an unknown method', 'fs', 'rmrf', '{}'],
    ['an inherited property as method', 'fs', 'toString', '{}'],
    ['__proto__ as method', 'kv', '__proto__', '{}'],
    ['args that are not JSON', 'kv', 'get', '{key:'],
    ['args of the wrong shape', 'kv', 'get', '{"key":42}'],
  ])('rejects %s with E2010 naming capability.method', async (_label, capability, method, argsJson) => {
    const error: unknown = await fx.host.call(capability, method, argsJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RimuruError);
    expect(error).toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST, message: expect.stringContaining(`${capability}.${method}`) });
    expect((error as RimuruError).message).toContain('"test-plugin"');
  });

  it('answers void methods with the JSON null', async () => {
    expect(await fx.host.call('kv', 'set', JSON.stringify({ key: 'k', value: 1 }))).toBe('null');
  });

  it('refuses every call after dispose with E2008', async () => {
    await fx.host.dispose();
    await expect(fx.host.call('env', 'home', '{}')).rejects.toMatchObject({ code: ErrorCodes.SANDBOX_DISPOSED });
  });
});
