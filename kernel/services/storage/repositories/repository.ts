import type { Logger } from 'pino';
import type { PageOptions } from '../types';

/**
 * The seeds' generic repository (`find_by_id`, `find_all`, `save`, `delete`), in camelCase.
 * `New` is what `save` takes when it differs from what is read back (defaults, generated ids).
 */
export interface Repository<T, ID, New = T> {
  /** The entity, or `null` when there is none with this id. */
  findById(id: ID): Promise<T | null>;
  /** Every entity in the repository's natural order (documented per repository), paged. */
  findAll(options?: PageOptions): Promise<T[]>;
  /** Inserts or replaces (upsert on the entity's key); returns what is now stored. */
  save(entity: New): Promise<T>;
  /** `true` when something was deleted. */
  delete(id: ID): Promise<boolean>;
}

export interface RepositoryOptions {
  /** Where unreadable JSON columns are reported (the row is still returned, with a default). */
  logger?: Logger;
}
