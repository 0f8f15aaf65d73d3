import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost } from './host-fixture';

describe('data capability', () => {
  it('answers listed kinds from the data source, refuses others', async () => {
    const queries: Array<{ kind: string; filter: Record<string, unknown> }> = [];
    const fx = await makeHost({
      permissions: { data: ['sessions'] },
      data: {
        query: async (kind, filter) => {
          queries.push({ kind, filter });
          return [{ id: 's1' }];
        },
      },
    });
    try {
      expect(await fx.call('data', 'query', { kind: 'sessions', filter: { agent: 'claude-code' } })).toEqual([{ id: 's1' }]);
      await expect(fx.call('data', 'query', { kind: 'costs' })).rejects.toMatchObject({ code: ErrorCodes.PERMISSION_DENIED });
      expect(queries).toEqual([{ kind: 'sessions', filter: { agent: 'claude-code' } }]);
    } finally {
      await fx.dispose();
    }
  });

  it('fails with E1005 when the kernel has no storage yet', async () => {
    const fx = await makeHost({ permissions: { data: ['sessions'] } });
    try {
      await expect(fx.call('data', 'query', { kind: 'sessions', filter: {} })).rejects.toMatchObject({
        code: ErrorCodes.DB_NOT_CONFIGURED,
        message: 'storage is not available in this kernel yet',
      });
    } finally {
      await fx.dispose();
    }
  });
});
