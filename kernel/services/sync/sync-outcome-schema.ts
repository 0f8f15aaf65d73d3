import { z } from 'zod';
import type { ModelInfo, RejectedModel, SyncOutcome } from '../../../sdk/src/kinds/sync';

/** Most models one provider may return in one sync (OpenRouter lists ~400, LiteLLM ~2,500). */
export const MAX_MODELS_PER_PROVIDER = 50_000;
/** Rejected entries kept per run (the count is always exact). */
export const MAX_REJECTED_KEPT = 50;

// Per-token USD; a dollar a token is already far beyond any published price.
const price = z.number().finite().nonnegative().max(1);
// The models table stores counts in `integer` columns.
const tokenCount = z.number().int().positive().max(2_147_483_647);
const text = (max: number) => z.string().trim().min(1).max(max);

const modelInfoSchema = z.strictObject({
  provider: text(100),
  model: text(200),
  displayName: text(200).optional(),
  contextWindow: tokenCount.optional(),
  maxOutputTokens: tokenCount.optional(),
  prices: z
    .strictObject({
      input: price.optional(),
      output: price.optional(),
      cacheWrite: price.optional(),
      cacheWrite1h: price.optional(),
      cacheRead: price.optional(),
      inputAbove200k: price.optional(),
      outputAbove200k: price.optional(),
      cacheWriteAbove200k: price.optional(),
      cacheReadAbove200k: price.optional(),
    })
    .optional(),
  capabilities: z.array(text(100)).max(100).optional(),
});

const rejectedSchema = z.object({ model: z.string().max(400), reason: z.string().max(1_000) });

const outcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), models: z.array(z.unknown()).max(MAX_MODELS_PER_PROVIDER), rejected: z.array(z.unknown()).max(MAX_MODELS_PER_PROVIDER) }),
  z.object({ status: z.literal('skipped'), reason: z.string().min(1).max(1_000) }),
  z.object({
    status: z.literal('failed'),
    kind: z.enum(['timeout', 'network', 'rate-limited', 'http', 'malformed', 'too-large']),
    message: z.string().min(1).max(2_000),
    httpStatus: z.number().int().min(100).max(599).optional(),
    retryAfterSeconds: z.number().nonnegative().max(7 * 24 * 3600).optional(),
  }),
]);

/** A plugin's outcome after the host's checks: each model checked on its own, so one bad entry never sinks the rest. */
export type CheckedOutcome =
  | { status: 'ok'; models: ModelInfo[]; rejected: RejectedModel[]; rejectedCount: number }
  | Exclude<SyncOutcome, { status: 'ok' }>;

/**
 * Checks what a sync plugin's `fetchModels` returned. `null` when the result as a whole is not
 * a sync outcome (a plugin bug). Models that fail the checks are moved to `rejected` with
 * the field and why; `rejected` keeps the first {@link MAX_REJECTED_KEPT}.
 */
export function checkOutcome(value: unknown): CheckedOutcome | { invalid: string } {
  const parsed = outcomeSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { invalid: `${issue?.path.join('.') || 'result'}: ${issue?.message ?? 'not a sync outcome'}` };
  }
  const outcome = parsed.data;
  if (outcome.status !== 'ok') return outcome;
  const models: ModelInfo[] = [];
  const rejected: RejectedModel[] = [];
  let rejectedCount = 0;
  const reject = (entry: RejectedModel): void => {
    rejectedCount += 1;
    if (rejected.length < MAX_REJECTED_KEPT) rejected.push({ model: entry.model.slice(0, 200), reason: entry.reason.slice(0, 300) });
  };
  for (const raw of outcome.rejected) {
    const entry = rejectedSchema.safeParse(raw);
    reject(entry.success ? entry.data : { model: '(unnamed)', reason: 'rejected by the plugin' });
  }
  for (const raw of outcome.models) {
    const model = modelInfoSchema.safeParse(raw);
    if (model.success) {
      models.push(model.data as ModelInfo);
      continue;
    }
    const issue = model.error.issues[0];
    const name = typeof (raw as { model?: unknown })?.model === 'string' ? String((raw as { model: string }).model) : '(unnamed)';
    reject({ model: name, reason: `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}` });
  }
  return { status: 'ok', models, rejected, rejectedCount };
}
