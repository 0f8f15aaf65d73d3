import { z } from 'zod';
import { method, type Capability, type CapabilityContext } from './capability-method';

const logArgs = z.strictObject({
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * The `log` capability: a pino child bound to the plugin's name. Plugin fields are nested
 * under `fields` so a plugin cannot overwrite `plugin`, `level` or `msg` and pass its lines
 * off as another's; oversized messages and fields are cut rather than refused, since a lost
 * log line is worse than a short one.
 */
export function createLogCapability({ plugin, services, limits }: CapabilityContext): Capability {
  const logger = services.logger.child({ plugin });
  const methods = Object.fromEntries(
    LEVELS.map((level) => [
      level,
      method(plugin, logArgs, (args) => {
        const msg = args.msg.length > limits.maxLogMessageChars ? `${args.msg.slice(0, limits.maxLogMessageChars)}…` : args.msg;
        if (args.fields === undefined) {
          logger[level](msg);
          return null;
        }
        const fieldsBytes = Buffer.byteLength(JSON.stringify(args.fields));
        const fields = fieldsBytes > limits.maxLogFieldsBytes ? { truncated: true, bytes: fieldsBytes } : args.fields;
        logger[level]({ fields }, msg);
        return null;
      }),
    ]),
  );
  return { methods };
}
