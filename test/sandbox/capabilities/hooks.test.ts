import { ErrorCodes } from '../../../kernel/core/errors';
import { makeHost } from './host-fixture';

describe('hooks capability', () => {
  it('emits declared custom hooks and refuses undeclared ones', async () => {
    const fx = await makeHost({ plugin: 'notifier', contributes: { emits: ['budget.alert'] } });
    try {
      await fx.call('hooks', 'emit', { name: 'budget.alert', payload: { usd: 5 } });
      await expect(fx.call('hooks', 'emit', { name: 'SessionStart', payload: {} })).rejects.toMatchObject({
        code: ErrorCodes.PERMISSION_DENIED,
        message: expect.stringContaining('rimuru.contributes.emits'),
      });
      await expect(fx.call('hooks', 'emit', { name: 'bad name!', payload: {} })).rejects.toMatchObject({
        code: ErrorCodes.CAPABILITY_BAD_REQUEST,
      });
      expect(fx.emitted).toEqual([{ plugin: 'notifier', hook: 'custom:budget.alert', payload: { usd: 5 } }]);
    } finally {
      await fx.dispose();
    }
  });
});
