import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { PageOptions } from '../types';
import { toPage } from './instant';
import { knexOf, type QueryTarget } from './query-target';
import type { RepositoryOptions } from './repository';
import { storageCall } from './storage-call';

type RowMapper<T> = (row: Record<string, unknown>, logger: Logger | undefined) => T;

/**
 * What every repository over one table shares: where it queries, where it logs, and reading
 * one row or a page of rows through the table's row ↔ domain mapper, with driver failures
 * turned into `StorageError`s that name the operation.
 */
export abstract class TableRepository<T> {
  protected readonly logger: Logger | undefined;

  protected constructor(
    protected readonly target: QueryTarget,
    protected readonly table: string,
    private readonly toEntity: RowMapper<T>,
    options: RepositoryOptions = {},
  ) {
    this.logger = options.logger;
  }

  protected get knex(): Knex {
    return knexOf(this.target);
  }

  /** The first row `narrow` selects, as an entity, or `null`. */
  protected async one(operation: string, narrow: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<T | null> {
    const row: unknown = await storageCall(operation, () => narrow(this.knex(this.table)).first());
    return row === undefined || row === null ? null : this.toEntity(row as Record<string, unknown>, this.logger);
  }

  /** The rows `narrow` selects (it also orders them), paged, as entities. */
  protected async many(operation: string, narrow: (query: Knex.QueryBuilder) => Knex.QueryBuilder, options: PageOptions | undefined): Promise<T[]> {
    const { limit, offset } = toPage(options);
    const rows = await storageCall(operation, () => {
      const query = narrow(this.knex(this.table)).offset(offset);
      return limit === null ? query : query.limit(limit);
    });
    return (rows as Array<Record<string, unknown>>).map((row) => this.toEntity(row, this.logger));
  }

  /** Deletes by id; `true` when a row was deleted. */
  protected async deleteWhere(operation: string, where: Record<string, string | number>): Promise<boolean> {
    const deleted = await storageCall(operation, () => this.knex(this.table).where(where).delete());
    return deleted > 0;
  }
}
