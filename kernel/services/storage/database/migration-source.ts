import type { Knex } from 'knex';
import { MIGRATIONS, type Migration } from '../migrations';

/** The table knex records applied migrations in (its default, kept for familiarity). */
export const MIGRATIONS_TABLE = 'knex_migrations';

/**
 * Feeds knex's migrator from the `MIGRATIONS` list instead of a folder, so the same code runs
 * from `dist/`, under ts-jest and from a bundle.
 */
export class ListMigrationSource implements Knex.MigrationSource<Migration> {
  constructor(private readonly migrations: readonly Migration[] = MIGRATIONS) {}

  async getMigrations(): Promise<Migration[]> {
    return [...this.migrations];
  }

  getMigrationName(migration: Migration): string {
    return migration.name;
  }

  async getMigration(migration: Migration): Promise<Knex.Migration> {
    return { up: migration.up, down: migration.down };
  }
}
