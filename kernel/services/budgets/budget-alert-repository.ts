import type { Knex } from 'knex';
import { storageCall } from '../storage/repositories/storage-call';

/** One fired threshold, as `budget_alerts` keeps it. */
export interface BudgetAlert {
  budget: string;
  threshold: number;
  periodKey: string;
  limitUsd: number;
  spentUsd: number;
  /** Epoch ms. */
  firedAt: number;
}

interface BudgetAlertRow {
  budget: string;
  threshold: number | string;
  period_key: string;
  limit_usd: number | string;
  spent_usd: number | string;
  fired_at: number | string;
}

/**
 * The record of which (budget, threshold, period) alerts went out. {@link claim} is the one
 * place a `CostThreshold` is allowed through: an insert that a unique key lets succeed once,
 * whichever process or machine asks first.
 */
export class BudgetAlertRepository {
  constructor(private readonly knex: Knex) {}

  /** Records the alert; resolves to true when this call inserted it (so the caller fires it), false when it was fired before. */
  async claim(alert: BudgetAlert): Promise<boolean> {
    const rows = await storageCall('recording a budget alert', () =>
      this.knex('budget_alerts')
        .insert({
          budget: alert.budget,
          threshold: alert.threshold,
          period_key: alert.periodKey,
          limit_usd: alert.limitUsd,
          spent_usd: alert.spentUsd,
          fired_at: alert.firedAt,
        })
        .onConflict(['budget', 'threshold', 'period_key'])
        .ignore()
        .returning('id'),
    );
    return (rows as unknown[]).length > 0;
  }

  /** Alerts fired for these periods (by budget name → period key), for `budgets status`. */
  async firedIn(periods: ReadonlyArray<{ budget: string; periodKey: string }>): Promise<BudgetAlert[]> {
    if (periods.length === 0) return [];
    const rows = (await storageCall('reading budget alerts', () =>
      this.knex('budget_alerts')
        .select('*')
        .where((q) => {
          for (const { budget, periodKey } of periods) q.orWhere({ budget, period_key: periodKey });
        })
        .orderBy('fired_at', 'asc')
        .orderBy('id', 'asc'),
    )) as BudgetAlertRow[];
    return rows.map(fromRow);
  }

  /** The newest alerts first. */
  async recent(limit = 50): Promise<BudgetAlert[]> {
    const rows = (await storageCall('reading budget alerts', () =>
      this.knex('budget_alerts').select('*').orderBy('fired_at', 'desc').orderBy('id', 'desc').limit(limit),
    )) as BudgetAlertRow[];
    return rows.map(fromRow);
  }
}

function fromRow(row: BudgetAlertRow): BudgetAlert {
  return {
    budget: row.budget,
    threshold: Number(row.threshold),
    periodKey: row.period_key,
    limitUsd: Number(row.limit_usd),
    spentUsd: Number(row.spent_usd),
    firedAt: Number(row.fired_at),
  };
}
