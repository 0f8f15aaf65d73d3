import { z } from 'zod';
import { closedObject, describeIssues, formatIssueLines } from '../../config/describe-issues';
import { ConfigError, ErrorCodes } from '../../core/errors';
import { checkTimeZone } from '../storage/aggregators/zoned-periods';

/** A calendar period a budget is counted over, cut in the budgets' time zone. */
export type BudgetPeriod = 'day' | 'week' | 'month';

export const DEFAULT_ALERT_THRESHOLDS = [0.8, 1.0] as const;

const limitUsd = z.number().positive().finite();
const periodLimits = closedObject({ daily: limitUsd.optional(), weekly: limitUsd.optional(), monthly: limitUsd.optional() });

/**
 * The `budgets` section of the config (the kernel schema passes it through; it is checked
 * here, at the door of the budgets service, with the same closed-object rules).
 */
export const budgetsConfigSchema = closedObject({
  daily: limitUsd.optional(),
  weekly: limitUsd.optional(),
  monthly: limitUsd.optional(),
  /** Limits per agent type, e.g. `{ "claude-code": { daily: 20 } }`. */
  perAgent: z.record(z.string().min(1).max(64), periodLimits).default(() => ({})),
  /** Limit of one session's total cost. */
  perSession: limitUsd.optional(),
  /** Fractions of a limit that fire `CostThreshold`, each once per period. */
  alertThresholds: z
    .array(z.number().positive().max(10))
    .min(1)
    .default(() => [...DEFAULT_ALERT_THRESHOLDS])
    .transform((values) => [...new Set(values)].sort((a, b) => a - b)),
  /** IANA zone days, weeks (Monday first) and months are cut in. Default: this machine's zone. */
  timeZone: z.string().min(1).optional(),
});

export type BudgetsConfig = z.output<typeof budgetsConfigSchema>;

/** One limit the service watches. */
export interface BudgetDefinition {
  /** Stable name, stored with each alert: `daily`, `agent:codex:monthly`, `session`. */
  name: string;
  limitUsd: number;
  /** A calendar period, or `session` for the per-session limit. */
  period: BudgetPeriod | 'session';
  /** Only this agent's spend counts. */
  agentType?: string;
}

export interface ResolvedBudgets {
  budgets: BudgetDefinition[];
  thresholds: number[];
  timeZone: string;
}

const PERIOD_OF: Record<'daily' | 'weekly' | 'monthly', BudgetPeriod> = { daily: 'day', weekly: 'week', monthly: 'month' };

/** The machine's IANA zone (falls back to UTC where the runtime has none). */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Checks `budgets` and lists the limits it sets. An empty section sets none.
 * @throws ConfigError E4001 naming the key (`budgets.perAgent.codex.daly`) and what was expected.
 */
export function resolveBudgets(raw: unknown, defaultTimeZone?: string): ResolvedBudgets {
  const parsed = budgetsConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = describeIssues(parsed.error.issues, raw).map((issue) => ({ ...issue, path: issue.path === '' ? 'budgets' : `budgets.${issue.path}` }));
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, formatIssueLines('config', issues));
  }
  const config = parsed.data;
  let timeZone: string | undefined;
  try {
    timeZone = config.timeZone === undefined ? defaultTimeZone : checkTimeZone(config.timeZone);
  } catch (cause) {
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, `budgets.timeZone: unknown time zone "${config.timeZone}": use an IANA name such as UTC or Europe/Paris`, { cause });
  }
  const budgets: BudgetDefinition[] = [];
  for (const key of ['daily', 'weekly', 'monthly'] as const) {
    const limit = config[key];
    if (limit !== undefined) budgets.push({ name: key, limitUsd: limit, period: PERIOD_OF[key] });
  }
  for (const [agentType, limits] of Object.entries(config.perAgent)) {
    for (const key of ['daily', 'weekly', 'monthly'] as const) {
      const limit = limits[key];
      if (limit !== undefined) budgets.push({ name: `agent:${agentType}:${key}`, limitUsd: limit, period: PERIOD_OF[key], agentType });
    }
  }
  if (config.perSession !== undefined) budgets.push({ name: 'session', limitUsd: config.perSession, period: 'session' });
  if (timeZone !== undefined) return { budgets, thresholds: config.alertThresholds, timeZone };
  // The machine's zone is looked up when first read: finding it loads the zone database, ~13 ms
  // of every kernel boot, which the many boots without budgets never need.
  let machine: string | undefined;
  return Object.defineProperty({ budgets, thresholds: config.alertThresholds } as ResolvedBudgets, 'timeZone', {
    get: () => (machine ??= machineTimeZone()),
    enumerable: true,
  });
}
