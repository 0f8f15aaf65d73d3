import type { Logger } from 'pino';
import type { HookPayloads } from '../../../sdk/src/hooks';
import type { Clock } from '../../core/container/clock';
import { errorMessage } from '../../core/errors';
import { HOST_OWNER, type HookBus } from '../../core/hooks';
import { CostAggregator } from '../storage/aggregators/cost-aggregator';
import type { Database } from '../storage/database';
import { numberOrNull, rawRows } from '../storage/repositories/row-values';
import { storageCall } from '../storage/repositories/storage-call';
import { BudgetAlertRepository } from './budget-alert-repository';
import type { BudgetDefinition, BudgetPeriod, ResolvedBudgets } from './budget-config';
import { projectSpend, windowAt } from './budget-periods';

export interface BudgetServiceOptions {
  database: Database;
  hookBus: HookBus;
  budgets: ResolvedBudgets;
  logger: Logger;
  clock?: Clock;
}

/** Where one budget stands now. */
export interface BudgetStatus {
  budget: string;
  period: BudgetPeriod | 'session';
  /** The period's key (`2026-03-01`, `2026-03`), or the session for the per-session budget. */
  periodKey: string | null;
  agentType: string | null;
  limitUsd: number;
  spentUsd: number;
  /** spent / limit. */
  fraction: number;
  projectedUsd: number | null;
  /** Thresholds already fired for this period (from any process). */
  fired: number[];
  startsAt: number | null;
  endsAt: number | null;
}

/** A threshold this process fired. */
export type FiredAlert = HookPayloads['CostThreshold'];

// A session's cost is only watched while the session is live: one whose last record is older
// than this is history being ingested, not spend to warn about.
const SESSION_LIVE_MS = 24 * 60 * 60 * 1000;
const SESSION_QUERY_CHUNK = 500;
export const BUDGET_HANDLER_ID = 'budgets:cost-recorded';

/**
 * Watches the spend against the configured budgets and fires `CostThreshold` once per
 * (budget, threshold, period): after every `CostRecorded` (coalesced: a burst of commits costs
 * one evaluation) and once at start. The insert into `budget_alerts` is the idempotence point,
 * so a restart, a report run beside `run`, or another machine on the same PostgreSQL never
 * fires an alert twice. Only the period holding "now" is evaluated: ingesting last month's logs
 * does not alert about last month.
 */
export class BudgetService {
  private readonly alerts: BudgetAlertRepository;
  private readonly costs: CostAggregator;
  private readonly clock: Clock;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private queued?: Promise<FiredAlert[]>;
  private readonly dirtySessions = new Set<string>();
  private unregister?: () => void;
  private stopped = false;

  constructor(private readonly options: BudgetServiceOptions) {
    this.alerts = new BudgetAlertRepository(options.database.knex);
    this.costs = new CostAggregator(options.database);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.log = options.logger.child({ service: 'budgets' });
  }

  get configured(): boolean {
    return this.options.budgets.budgets.length > 0;
  }

  /** Subscribes to `CostRecorded` and evaluates once; nothing when no budget is configured. */
  start(): void {
    if (!this.configured || this.unregister) return;
    this.unregister = this.options.hookBus.register({
      id: BUDGET_HANDLER_ID,
      owner: HOST_OWNER,
      hook: 'CostRecorded',
      priority: 1_000,
      handle: (payload) => {
        // Not awaited: ingestion fires hooks in order and waits for each; a burst of commits
        // should cost one evaluation, not one per session per commit.
        void this.request([`${payload.agentType}:${payload.sessionId}`]);
        return { type: 'continue' };
      },
    });
    void this.request([]);
  }

  /**
   * Evaluates soon (joining an evaluation that has not started yet) and resolves to the alerts
   * it fired. Never rejects: a failure is logged.
   */
  request(sessionIds: readonly string[]): Promise<FiredAlert[]> {
    for (const id of sessionIds) this.dirtySessions.add(id);
    if (this.queued) return this.queued;
    const queued = this.chain.then(async () => {
      this.queued = undefined;
      const sessions = [...this.dirtySessions];
      this.dirtySessions.clear();
      if (this.stopped) return [];
      try {
        return await this.evaluate(sessions);
      } catch (error) {
        this.log.warn({ err: errorMessage(error) }, 'could not evaluate budgets');
        return [];
      }
    });
    this.queued = queued;
    this.chain = queued.then(() => undefined);
    return queued;
  }

  /** Resolves when every evaluation asked for so far has finished (and its hooks have run). */
  async idle(): Promise<void> {
    while (this.queued) await this.queued;
    await this.chain;
  }

  /** Unsubscribes and waits for the evaluation in progress. */
  async stop(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    await this.idle();
    this.stopped = true;
  }

  /** Where every budget stands at the clock's now; the per-session budget shows the costliest live session. */
  async status(): Promise<BudgetStatus[]> {
    const now = this.clock.now();
    const out: BudgetStatus[] = [];
    for (const budget of this.options.budgets.budgets) {
      if (budget.period === 'session') {
        const top = await this.costliestLiveSession(now);
        out.push(this.toStatus(budget, top?.sessionId ?? null, top?.costUsd ?? 0, null, null, null, []));
        continue;
      }
      const window = windowAt(budget.period, now, this.options.budgets.timeZone);
      const spent = await this.spendIn(budget, window.startsAt, window.endsAt);
      out.push(this.toStatus(budget, window.key, spent, projectSpend(spent, window, now), window.startsAt, window.endsAt, []));
    }
    const fired = await this.alerts.firedIn(out.filter((s) => s.periodKey !== null).map((s) => ({ budget: s.budget, periodKey: s.periodKey as string })));
    for (const status of out) {
      status.fired = fired.filter((a) => a.budget === status.budget && a.periodKey === status.periodKey).map((a) => a.threshold);
    }
    return out;
  }

  /** Checks every budget now (and the per-session budget of `sessionIds`); fires what crossed. */
  async evaluate(sessionIds: readonly string[] = []): Promise<FiredAlert[]> {
    const now = this.clock.now();
    const fired: FiredAlert[] = [];
    for (const budget of this.options.budgets.budgets) {
      if (budget.period === 'session') {
        for (const session of await this.liveSessionCosts(sessionIds, now)) {
          fired.push(...(await this.crossings(budget, session.sessionId, session.costUsd, undefined, now)));
        }
        continue;
      }
      const window = windowAt(budget.period, now, this.options.budgets.timeZone);
      const spent = await this.spendIn(budget, window.startsAt, window.endsAt);
      fired.push(...(await this.crossings(budget, window.key, spent, projectSpend(spent, window, now), now)));
    }
    return fired;
  }

  private async crossings(budget: BudgetDefinition, periodKey: string, spentUsd: number, projectedUsd: number | undefined, now: number): Promise<FiredAlert[]> {
    const fired: FiredAlert[] = [];
    for (const threshold of this.options.budgets.thresholds) {
      if (spentUsd < threshold * budget.limitUsd) break;
      const claimed = await this.alerts.claim({ budget: budget.name, threshold, periodKey, limitUsd: budget.limitUsd, spentUsd, firedAt: now });
      if (!claimed) continue;
      const payload: FiredAlert = {
        budget: budget.name,
        period: periodKey,
        limitUsd: budget.limitUsd,
        spentUsd: round(spentUsd),
        threshold,
        ...(projectedUsd === undefined ? {} : { projectedUsd }),
      };
      this.log.info(payload, `budget ${budget.name} reached ${Math.round(threshold * 100)}% for ${periodKey}`);
      await this.options.hookBus.emitSeries('CostThreshold', payload);
      fired.push(payload);
    }
    return fired;
  }

  private async spendIn(budget: BudgetDefinition, from: number, to: number): Promise<number> {
    const totals = await this.costs.breakdown({ from, to, ...(budget.agentType === undefined ? {} : { agents: [budget.agentType] }) });
    return totals.costUsd;
  }

  /** Total cost of each of these sessions whose last record is recent. */
  private async liveSessionCosts(sessionIds: readonly string[], now: number): Promise<Array<{ sessionId: string; costUsd: number }>> {
    const out: Array<{ sessionId: string; costUsd: number }> = [];
    for (let i = 0; i < sessionIds.length; i += SESSION_QUERY_CHUNK) {
      const chunk = sessionIds.slice(i, i + SESSION_QUERY_CHUNK);
      const rows = rawRows(
        await storageCall('summing session costs for budgets', () =>
          this.options.database.knex.raw(
            `select session_id, sum(cost_usd) as cost, max(recorded_at) as last from usage_records where session_id in (${chunk.map(() => '?').join(', ')}) group by session_id`,
            chunk,
          ),
        ),
      );
      for (const row of rows) {
        const last = numberOrNull(row.last);
        if (last === null || last < now - SESSION_LIVE_MS) continue;
        out.push({ sessionId: String(row.session_id), costUsd: numberOrNull(row.cost) ?? 0 });
      }
    }
    return out;
  }

  private async costliestLiveSession(now: number): Promise<{ sessionId: string; costUsd: number } | null> {
    const rows = rawRows(
      await storageCall('finding the costliest live session', () =>
        this.options.database.knex.raw(
          'select session_id, sum(cost_usd) as cost from usage_records where session_id in (select distinct session_id from usage_records where recorded_at >= ?) group by session_id order by cost desc limit 1',
          [now - SESSION_LIVE_MS],
        ),
      ),
    );
    const row = rows[0];
    return row === undefined ? null : { sessionId: String(row.session_id), costUsd: numberOrNull(row.cost) ?? 0 };
  }

  private toStatus(
    budget: BudgetDefinition,
    periodKey: string | null,
    spentUsd: number,
    projectedUsd: number | null,
    startsAt: number | null,
    endsAt: number | null,
    fired: number[],
  ): BudgetStatus {
    return {
      budget: budget.name,
      period: budget.period,
      periodKey,
      agentType: budget.agentType ?? null,
      limitUsd: budget.limitUsd,
      spentUsd: round(spentUsd),
      fraction: round(spentUsd / budget.limitUsd),
      projectedUsd,
      fired,
      startsAt,
      endsAt,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
