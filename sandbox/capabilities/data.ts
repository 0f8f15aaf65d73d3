import { z } from 'zod';
import { ErrorCodes, StorageError } from '../../kernel/core/errors';
import { method, type Capability, type CapabilityContext } from './capability-method';

const queryArgs = z.strictObject({
  kind: z.string().min(1).max(64),
  filter: z.record(z.string(), z.unknown()).optional(),
});

/** The `data` capability: typed reads of kernel data, for the kinds `permissions.data` lists. */
export function createDataCapability({ plugin, gate, services }: CapabilityContext): Capability {
  return {
    methods: {
      query: method(plugin, queryArgs, async (args) => {
        gate.checkData(args.kind);
        if (services.data === undefined) {
          throw new StorageError(ErrorCodes.DB_NOT_CONFIGURED, 'storage is not available in this kernel yet', {
            details: { plugin, capability: 'data.query', kind: args.kind },
          });
        }
        return services.data.query(args.kind, args.filter ?? {});
      }),
    },
  };
}
