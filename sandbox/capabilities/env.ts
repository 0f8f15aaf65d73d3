import { z } from 'zod';
import { method, type Capability, type CapabilityContext } from './capability-method';

const getArgs = z.strictObject({ name: z.string().min(1).max(256) });
const homeArgs = z.strictObject({});

/** The `env` capability: listed variables only; the home directory always. */
export function createEnvCapability({ plugin, gate, services }: CapabilityContext): Capability {
  return {
    methods: {
      get: method(plugin, getArgs, (args): string | null => {
        gate.checkEnv(args.name);
        return services.env[args.name] ?? null;
      }),
      home: method(plugin, homeArgs, (): string => services.homeDir),
    },
  };
}
