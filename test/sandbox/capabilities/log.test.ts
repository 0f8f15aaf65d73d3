import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost } from './host-fixture';

describe('log capability', () => {
  it('logs through a child named after the plugin, fields nested so they cannot spoof it', async () => {
    const fx = await makeHost({ plugin: 'adapter-x', limits: { maxLogMessageChars: 10, maxLogFieldsBytes: 50 } });
    try {
      await fx.call('log', 'warn', { msg: 'short', fields: { plugin: 'someone-else', n: 1 } });
      await fx.call('log', 'debug', { msg: 'a much longer message' });
      await fx.call('log', 'info', { msg: 'big', fields: { blob: 'x'.repeat(100) } });
      expect(fx.logs).toEqual([
        expect.objectContaining({ level: 40, plugin: 'adapter-x', msg: 'short', fields: { plugin: 'someone-else', n: 1 } }),
        expect.objectContaining({ level: 20, plugin: 'adapter-x', msg: 'a much lon…' }),
        expect.objectContaining({ level: 30, plugin: 'adapter-x', msg: 'big', fields: { truncated: true, bytes: 111 } }),
      ]);
      await expect(fx.call('log', 'fatal', { msg: 'x' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
    } finally {
      await fx.dispose();
    }
  });
});
