export { BudgetService, BUDGET_HANDLER_ID } from './budget-service';
export type { BudgetServiceOptions, BudgetStatus, FiredAlert } from './budget-service';
export { resolveBudgets, budgetsConfigSchema, machineTimeZone, DEFAULT_ALERT_THRESHOLDS } from './budget-config';
export type { BudgetsConfig, BudgetDefinition, BudgetPeriod, ResolvedBudgets } from './budget-config';
export { BudgetAlertRepository } from './budget-alert-repository';
export type { BudgetAlert } from './budget-alert-repository';
export { windowAt, projectSpend } from './budget-periods';
export type { BudgetWindow } from './budget-periods';
