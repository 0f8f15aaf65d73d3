import type { Logger } from 'pino';
import type { ResolvedConfig } from '../../config';
import { Database, databaseOptionsFromConfig } from './database';

/**
 * The kernel's store as the config describes it, connected and migrated: what `run` boots on
 * and what every CLI command reads. Closed again if the migrations fail (E1004 for a schema
 * newer than this code).
 */
export async function openStore(config: ResolvedConfig, logger?: Logger): Promise<Database> {
  const database = await Database.connect(databaseOptionsFromConfig(config, logger));
  try {
    await database.runMigrations();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
