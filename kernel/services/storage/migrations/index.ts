import type { Knex } from 'knex';
import * as initialSchema from './0001-initial-schema';
import * as usageRollups from './0002-usage-rollups';
import * as leanUsageIndexes from './0003-lean-usage-indexes';
import * as modelSync from './0004-model-sync';
import * as budgetAlerts from './0005-budget-alerts';
import * as ingestListings from './0006-ingest-listings';
import * as activeSessionsIndex from './0007-active-sessions-index';

/**
 * Every migration this code knows, in order. Listed in code rather than read from a folder so
 * they run the same from `dist/`, from ts-jest and from a bundle. Append only: never edit or
 * reorder a migration that has shipped.
 */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [initialSchema, usageRollups, leanUsageIndexes, modelSync, budgetAlerts, ingestListings, activeSessionsIndex];
