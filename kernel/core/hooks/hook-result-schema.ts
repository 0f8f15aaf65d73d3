import { z } from 'zod';
import type { HookResult } from '../../../sdk/src/hooks';

/**
 * What a handler may return. Sandboxed handlers can return anything at all, so the bus checks
 * every result here before acting on it. Extra keys are stripped, not rejected: a newer SDK
 * may add fields an older kernel ignores.
 */
export const hookResultSchema: z.ZodType<HookResult> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('continue') }),
  z.object({ type: z.literal('abort'), reason: z.string() }),
  z.object({
    type: z.literal('modified'),
    // `undefined` cannot cross the JSON boundary, so a Modified without data is a bug in the
    // handler, not a request to clear the payload.
    data: z.unknown().refine((data) => data !== undefined, { message: 'Modified needs data' }),
  }),
  z.object({ type: z.literal('skip') }),
]);

export type HookResultCheck = { ok: true; result: HookResult } | { ok: false; message: string };

export function checkHookResult(value: unknown): HookResultCheck {
  const parsed = hookResultSchema.safeParse(value);
  if (parsed.success) return { ok: true, result: parsed.data };
  return { ok: false, message: `returned an invalid result (${z.prettifyError(parsed.error).replace(/\n/g, '; ')})` };
}
