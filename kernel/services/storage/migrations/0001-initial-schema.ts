import type { Knex } from 'knex';

/**
 * The first schema. It must run unchanged on SQLite and PostgreSQL, so it sticks to what both
 * share: times are epoch milliseconds in `bigint` columns (SQLite has no time zone support, and
 * integers make range scans and bucketing cheap on both), JSON is `text`, money is `double`.
 */

export const name = '0001-initial-schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agents', (t) => {
    t.string('id', 200).primary(); // `<agent type>` or `<agent type>@<host>`
    t.string('agent_type', 64).notNullable();
    t.string('display_name', 200).notNullable();
    t.string('version', 64);
    t.string('host', 200);
    t.text('paths').notNullable().defaultTo('[]'); // JSON array of data roots
    t.string('status', 32).notNullable().defaultTo('installed'); // installed | active | missing
    t.bigInteger('discovered_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.text('metadata').notNullable().defaultTo('{}');
    t.index(['agent_type']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 300).primary(); // `<agent type>:<external id>`
    t.string('agent_id', 200).notNullable();
    t.string('agent_type', 64).notNullable();
    t.string('external_id', 255).notNullable();
    t.text('project_path');
    t.text('title');
    t.string('status', 32).notNullable().defaultTo('active'); // active | idle | completed | errored
    t.bigInteger('started_at').notNullable();
    t.bigInteger('ended_at');
    t.bigInteger('last_activity_at').notNullable();
    t.string('host', 200);
    t.text('metadata').notNullable().defaultTo('{}');
    t.unique(['agent_type', 'external_id']);
    t.index(['agent_id']);
    t.index(['started_at']);
    t.index(['last_activity_at']);
  });

  await knex.schema.createTable('usage_records', (t) => {
    t.bigIncrements('id');
    // Unique per model call across re-ingests and machines: re-ingesting changes nothing.
    t.string('dedup_key', 400).notNullable().unique();
    t.string('session_id', 300).notNullable();
    t.string('agent_type', 64).notNullable();
    t.string('model', 200).notNullable();
    t.string('provider', 100);
    t.bigInteger('input_tokens').notNullable().defaultTo(0); // uncached input
    t.bigInteger('output_tokens').notNullable().defaultTo(0);
    t.bigInteger('cache_write_tokens').notNullable().defaultTo(0);
    t.bigInteger('cache_write_1h_tokens').notNullable().defaultTo(0); // part of cache_write_tokens
    t.bigInteger('cache_read_tokens').notNullable().defaultTo(0);
    t.bigInteger('reasoning_tokens').notNullable().defaultTo(0); // part of output_tokens
    t.double('cost_usd').notNullable().defaultTo(0);
    t.string('cost_source', 16).notNullable(); // reported | calculated
    t.bigInteger('recorded_at').notNullable();
    t.text('flags'); // JSON array, e.g. ["fallback-model"]
    t.index(['recorded_at']);
    t.index(['session_id']);
    t.index(['agent_type', 'recorded_at']);
    t.index(['model', 'recorded_at']);
  });

  await knex.schema.createTable('models', (t) => {
    t.increments('id');
    t.string('provider', 100).notNullable();
    t.string('model', 200).notNullable();
    t.string('display_name', 200);
    // USD per token; null = unknown (never read as free).
    t.double('input_price');
    t.double('output_price');
    t.double('cache_write_price');
    t.double('cache_write_1h_price');
    t.double('cache_read_price');
    t.double('input_price_above_200k');
    t.double('output_price_above_200k');
    t.double('cache_write_price_above_200k');
    t.double('cache_read_price_above_200k');
    t.integer('context_window');
    t.integer('max_output_tokens');
    t.text('capabilities').notNullable().defaultTo('[]');
    t.string('source', 64).notNullable(); // snapshot | litellm | openrouter | …
    t.text('provenance').notNullable().defaultTo('{}'); // field → source
    t.bigInteger('updated_at').notNullable();
    t.unique(['provider', 'model']);
    t.index(['model']);
  });

  await knex.schema.createTable('system_metrics', (t) => {
    t.bigIncrements('id');
    t.bigInteger('collected_at').notNullable();
    t.double('cpu_percent');
    t.bigInteger('memory_used_bytes');
    t.bigInteger('memory_total_bytes');
    t.integer('active_sessions');
    t.text('extra').notNullable().defaultTo('{}');
    t.index(['collected_at']);
  });

  await knex.schema.createTable('ingest_cursors', (t) => {
    t.string('source_id', 1000).primary(); // usually the absolute path
    t.string('plugin', 214).notNullable();
    t.string('inode', 64);
    t.bigInteger('size').notNullable().defaultTo(0);
    t.bigInteger('mtime_ms').notNullable().defaultTo(0);
    t.bigInteger('offset').notNullable().defaultTo(0);
    t.text('state'); // the adapter's carry-over parse state, JSON
    t.integer('warnings').notNullable().defaultTo(0);
    t.bigInteger('updated_at').notNullable();
    t.index(['plugin']);
  });

  await knex.schema.createTable('plugins', (t) => {
    t.string('name', 214).primary();
    t.string('version', 64).notNullable();
    t.string('state', 32).notNullable();
    t.boolean('enabled'); // the user's explicit choice; null = the default for its source
    t.text('reason');
    t.text('config').notNullable().defaultTo('{}');
    t.text('granted_permissions').notNullable().defaultTo('{}');
    t.string('integrity', 64);
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('plugin_kv', (t) => {
    t.string('plugin', 214).notNullable();
    t.string('key', 512).notNullable();
    t.text('value').notNullable(); // JSON
    t.bigInteger('updated_at').notNullable();
    t.primary(['plugin', 'key']);
  });

  await knex.schema.createTable('hook_executions', (t) => {
    t.bigIncrements('id');
    t.string('hook', 200).notNullable();
    t.string('handler_id', 300).notNullable();
    t.string('owner', 214).notNullable();
    t.bigInteger('started_at').notNullable();
    t.double('duration_ms').notNullable();
    t.string('result', 16).notNullable(); // continue | abort | modified | skip | error | timeout
    t.string('error_code', 16);
    t.text('error_message');
    t.index(['started_at']);
    t.index(['hook', 'started_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'hook_executions',
    'plugin_kv',
    'plugins',
    'ingest_cursors',
    'system_metrics',
    'models',
    'usage_records',
    'sessions',
    'agents',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
