import type { Knex } from 'knex';

/**
 * Budget alerts and notification deliveries.
 *
 * `budget_alerts` holds one row per (budget, threshold, period) whose `CostThreshold` was fired.
 * The unique key is the idempotence point: whichever process (a `run`, a report, another
 * machine on PostgreSQL) inserts the row first fires the hook; every other one finds the row and
 * stays quiet, across restarts too.
 *
 * `notification_deliveries` is the delivery log: one row per notification handed to a notifier
 * (every attempt counted), with the outcome. It never holds a webhook URL or a secret.
 */

export const name = '0005-budget-alerts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('budget_alerts', (t) => {
    t.bigIncrements('id');
    t.string('budget', 300).notNullable(); // daily | weekly | monthly | agent:<type>:<period> | session
    t.double('threshold').notNullable(); // 0.8, 1.0, …
    t.string('period_key', 400).notNullable(); // 2026-03-01 | 2026-W (Monday date) | 2026-03 | a session id
    t.double('limit_usd').notNullable();
    t.double('spent_usd').notNullable();
    t.bigInteger('fired_at').notNullable();
    t.unique(['budget', 'threshold', 'period_key']);
    t.index(['fired_at']);
  });

  await knex.schema.createTable('notification_deliveries', (t) => {
    t.bigIncrements('id');
    t.string('notifier', 214).notNullable(); // plugin package name
    t.string('event', 200).notNullable(); // the notification's source, e.g. CostThreshold, or `test`
    t.string('level', 16).notNullable();
    t.string('title', 500).notNullable();
    t.string('status', 16).notNullable(); // delivered | failed
    t.integer('http_status');
    t.integer('attempts').notNullable();
    t.string('error_code', 16);
    t.text('error_message');
    t.bigInteger('started_at').notNullable();
    t.double('duration_ms').notNullable();
    t.index(['started_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notification_deliveries');
  await knex.schema.dropTableIfExists('budget_alerts');
}
