import type { Knex } from 'knex';

/**
 * `ingest_listings`: each adapter's last `discover` and `sources` answers, with what they
 * depended on in the file system (`FsObservation`s: the directories listed and the files read,
 * with inode, size and mtime). An ingest that finds every observation unchanged — a stat each —
 * uses the kept answer instead of asking the adapter to walk its data again, which on a
 * machine with thousands of transcripts is most of a warm run. `fingerprint` covers the plugin's
 * bundle, config and granted roots: any change and the answers are asked for again.
 */

export const name = '0006-ingest-listings';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ingest_listings', (t) => {
    t.string('plugin', 214).primary();
    t.string('fingerprint', 64).notNullable();
    t.text('discovery'); // {"value": …, "observations": […]} or null when not kept
    t.text('sources'); // the same for `sources`
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ingest_listings');
}
