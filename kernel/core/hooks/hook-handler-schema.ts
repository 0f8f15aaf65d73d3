import { z } from 'zod';

/** setTimeout clamps anything above this to 1 ms, which would time every handler out at once. */
export const MAX_HOOK_TIMEOUT_MS = 2_147_483_647;

export const hookTimeoutMsSchema = z.number().int().positive().max(MAX_HOOK_TIMEOUT_MS);

/**
 * The fields of a handler checked at `register`. Handlers built from plugin manifests carry
 * plugin-supplied ids and priorities, so they are validated once here rather than trusted
 * on every emit. The hook name is checked separately for its own error code.
 */
export const hookHandlerFieldsSchema = z.object({
  id: z.string().min(1).max(200),
  owner: z.string().min(1).max(214),
  priority: z.number().finite(),
  timeoutMs: hookTimeoutMsSchema.optional(),
  handle: z.custom<(payload: unknown) => unknown>((value) => typeof value === 'function', {
    message: 'handle must be a function',
  }),
});
