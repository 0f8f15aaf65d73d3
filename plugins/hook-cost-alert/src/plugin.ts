import { Continue, defineHookPlugin, type HookPayloads, type Notification, type NotificationLevel } from '@rimuru/sdk';

/**
 * Budget alerts → notifiers. Each `CostThreshold` becomes one notification (source
 * `CostThreshold`) handed to the kernel with `ctx.hooks.emit('notify', …)`; the kernel's
 * `hooks.routes` decide which notifiers get it. Level: `critical` from `config.criticalAt`
 * (default 1.0, the budget itself) up, else `warning`.
 */

const usd = (value: number): string => `$${value.toFixed(2)}`;
const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;

/** `daily` → `Daily budget`; `agent:codex:monthly` → `Monthly budget of codex`; `session` → `Session budget`. */
export function budgetLabel(budget: string): string {
  const agent = /^agent:(.+):(daily|weekly|monthly)$/.exec(budget);
  const capital = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
  if (agent) return `${capital(agent[2] as string)} budget of ${agent[1] as string}`;
  return `${capital(budget)} budget`;
}

export function alertOf(alert: HookPayloads['CostThreshold'], criticalAt: number, now: string): Notification {
  const level: NotificationLevel = alert.threshold >= criticalAt ? 'critical' : 'warning';
  const label = budgetLabel(alert.budget);
  const spentShare = alert.spentUsd / alert.limitUsd;
  const projection = alert.projectedUsd === undefined ? '' : ` At this rate it ends at ${usd(alert.projectedUsd)}.`;
  return {
    title: `${label} ${alert.threshold >= 1 ? 'reached' : 'at'} ${percent(alert.threshold)} (${alert.period})`,
    message: `${usd(alert.spentUsd)} of ${usd(alert.limitUsd)} spent (${percent(spentShare)}) in ${alert.period}.${projection}`,
    level,
    source: 'CostThreshold',
    fields: {
      budget: alert.budget,
      period: alert.period,
      spentUsd: Math.round(alert.spentUsd * 100) / 100,
      limitUsd: alert.limitUsd,
      threshold: alert.threshold,
      ...(alert.projectedUsd === undefined ? {} : { projectedUsd: Math.round(alert.projectedUsd * 100) / 100 }),
    },
    timestamp: now,
  };
}

export default defineHookPlugin({
  hooks: {
    async CostThreshold(alert, ctx) {
      const criticalAt = typeof ctx.config.criticalAt === 'number' && ctx.config.criticalAt > 0 ? ctx.config.criticalAt : 1;
      await ctx.hooks.emit('notify', alertOf(alert, criticalAt, new Date().toISOString()));
      return Continue();
    },
  },
});
