import { z } from 'zod';
import { permissionDenied } from '../permissions';
import { method, type Capability, type CapabilityContext } from './capability-method';

const emitArgs = z.strictObject({
  // The same alphabet `isHookName` accepts after `custom:`.
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 letters, digits, _ . : or -'),
  payload: z.unknown(),
});

/** The `hooks` capability: emits `custom:<name>` for the names the manifest declares it emits. */
export function createHooksCapability({ plugin, contributes, services }: CapabilityContext): Capability {
  const declared = new Set(contributes.emits ?? []);
  return {
    methods: {
      emit: method(plugin, emitArgs, async (args) => {
        if (!declared.has(args.name)) {
          throw permissionDenied(
            plugin,
            'hooks.emit',
            args.name,
            'the plugin does not declare that it emits this hook',
            `add "${args.name}" to rimuru.contributes.emits in the plugin's package.json`,
          );
        }
        await services.emitHook(plugin, `custom:${args.name}`, args.payload ?? null);
        return null;
      }),
    },
  };
}
