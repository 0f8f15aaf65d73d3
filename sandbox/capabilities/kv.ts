import { z } from 'zod';
import { method, type Capability, type CapabilityContext } from './capability-method';

const keyArg = z.string().min(1).max(512);
const keyArgs = z.strictObject({ key: keyArg });
const setArgs = z.strictObject({
  key: keyArg,
  // JSON has no undefined: a `set(key, undefined)` arrives with the key missing.
  value: z.unknown().refine((value) => value !== undefined, 'is required (use kv.delete to remove a key)'),
});
const keysArgs = z.strictObject({ prefix: z.string().max(512).optional() });

/** The `kv` capability: the plugin's own store, always allowed, never another plugin's. */
export function createKvCapability({ plugin, services }: CapabilityContext): Capability {
  const { kv } = services;
  return {
    methods: {
      get: method(plugin, keyArgs, async (args) => (await kv.get(plugin, args.key)) ?? null),
      set: method(plugin, setArgs, async (args) => {
        await kv.set(plugin, args.key, args.value);
        return null;
      }),
      delete: method(plugin, keyArgs, async (args) => {
        await kv.delete(plugin, args.key);
        return null;
      }),
      keys: method(plugin, keysArgs, (args) => kv.keys(plugin, args.prefix)),
    },
  };
}
