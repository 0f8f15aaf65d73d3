import type { Knex } from 'knex';

/**
 * An index on `sessions (status, last_activity_at)`. After every ingest two queries ask which
 * sessions are still `active` (to end the ones quiet for 30 minutes, and to mark agents
 * active): the `last_activity_at` index alone made both walk nearly every session, since almost
 * all are older than the window (5.5 + 3 ms of each report over 11,000 sessions); active ones
 * are few, and this finds them directly.
 */

export const name = '0007-active-sessions-index';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.index(['status', 'last_activity_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropIndex(['status', 'last_activity_at']);
  });
}
