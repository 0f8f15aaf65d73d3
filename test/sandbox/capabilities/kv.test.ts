import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost } from './host-fixture';

describe('kv capability', () => {
  it('persists per plugin across hosts and store instances', async () => {
    const first = await makeHost({ plugin: 'a' });
    await first.call('kv', 'set', { key: 'cursor', value: { offset: 7 } });
    await first.host.dispose();
    const again = await makeHost({ plugin: 'a', baseDir: first.dir });
    const other = await makeHost({ plugin: 'b', baseDir: first.dir });
    try {
      expect(await again.call('kv', 'get', { key: 'cursor' })).toEqual({ offset: 7 });
      expect(await again.call('kv', 'keys', {})).toEqual(['cursor']);
      expect(await other.call('kv', 'get', { key: 'cursor' })).toBeNull();
      await again.call('kv', 'delete', { key: 'cursor' });
      expect(await again.call('kv', 'keys', { prefix: 'c' })).toEqual([]);
    } finally {
      await other.host.dispose();
      await again.dispose();
    }
  });

  it('refuses set without a value', async () => {
    const fx = await makeHost();
    try {
      await expect(fx.call('kv', 'set', { key: 'k' })).rejects.toMatchObject({ code: ErrorCodes.CAPABILITY_BAD_REQUEST });
    } finally {
      await fx.dispose();
    }
  });
});
