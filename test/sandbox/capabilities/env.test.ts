import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost } from './host-fixture';

describe('env capability', () => {
  it('reveals only listed variables, and the home directory always', async () => {
    const fx = await makeHost({ permissions: { env: ['CLAUDE_CONFIG_DIR', 'UNSET_BUT_LISTED'] }, env: { CLAUDE_CONFIG_DIR: '/cfg', AWS_SECRET: 's' }, homeDir: '/home/u' });
    try {
      expect(await fx.call('env', 'get', { name: 'CLAUDE_CONFIG_DIR' })).toBe('/cfg');
      expect(await fx.call('env', 'get', { name: 'UNSET_BUT_LISTED' })).toBeNull();
      await expect(fx.call('env', 'get', { name: 'AWS_SECRET' })).rejects.toMatchObject({
        code: ErrorCodes.PERMISSION_DENIED,
        message: expect.stringContaining('rimuru.permissions["env"]'),
      });
      expect(await fx.call('env', 'home', {})).toBe('/home/u');
    } finally {
      await fx.dispose();
    }
  });
});
