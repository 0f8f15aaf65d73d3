import type { Knex } from 'knex';

/**
 * The history of pricing syncs (`rimuru-kernel sync history`, `sync status`): one row per
 * provider per run, with what it fetched and wrote, why it failed, and until when the provider
 * asked not to be called again (a 429's `Retry-After`). Status is the newest row of each
 * provider, so there is no second table to keep in step. Times are epoch ms, like 0001.
 */

export const name = '0004-model-sync';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sync_runs', (t) => {
    t.bigIncrements('id');
    t.string('provider', 100).notNullable();
    t.string('plugin', 214).notNullable();
    t.string('trigger', 16).notNullable(); // manual | schedule
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').notNullable();
    t.string('status', 16).notNullable(); // ok | partial | failed | skipped | rate-limited | disabled
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('models_fetched').notNullable().defaultTo(0);
    t.integer('models_written').notNullable().defaultTo(0);
    t.integer('models_rejected').notNullable().defaultTo(0);
    t.integer('repriced_records').notNullable().defaultTo(0);
    t.string('error_code', 16);
    t.text('error_message');
    t.bigInteger('retry_after_at'); // do not ask this provider again before this instant
    t.text('details').notNullable().defaultTo('{}'); // JSON: rejected entries (a sample), skip reason
    t.index(['provider', 'started_at']);
    t.index(['started_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sync_runs');
}
