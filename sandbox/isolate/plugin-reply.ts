import { z } from 'zod';
import type { PluginDescription } from '../../sdk/src/protocol';

/**
 * What the bridge's `dispatch` hands back (see bridge-source.ts). It is built by bridge code,
 * not plugin code, but it still crossed the boundary, so it is checked like any outside input.
 */
export const bridgeReplySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ok'), value: z.string() }),
  z.object({ t: z.literal('threw'), message: z.string() }),
  z.object({ t: z.literal('type'), type: z.string() }),
  z.object({ t: z.literal('big'), chars: z.number() }),
]);

export type BridgeReply = z.infer<typeof bridgeReplySchema>;

const NAME_LIST = z.array(z.string().max(200)).max(10_000);

/** `describe`: the plugin's kind and the methods and hooks its bundle implements. */
export const pluginDescriptionSchema: z.ZodType<PluginDescription> = z.object({
  kind: z.string().min(1).max(100),
  methods: NAME_LIST,
  hooks: NAME_LIST,
  features: z.array(z.string().max(100)).max(100).optional(),
});

/** A `WireError` inside a plugin's rejection message: `{"code":"E2006","message":"..."}`. */
const wireErrorSchema = z.object({ code: z.string().regex(/^E\d{4}$/), message: z.string() });

export interface PluginThrow {
  /** The code the plugin (or its SDK) gave, when the message was a WireError. */
  code?: string;
  message: string;
}

/** Reads the error a plugin call rejected with: a WireError when the SDK made it, else raw text. */
export function readPluginThrow(text: string): PluginThrow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text };
  }
  const wire = wireErrorSchema.safeParse(parsed);
  return wire.success ? { code: wire.data.code, message: wire.data.message } : { message: text };
}
