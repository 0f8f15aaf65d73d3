import { ErrorCodes, StorageError, errorMessage, type ErrorCode } from '../../../core/errors';
import { isConnectionFailure } from '../retry/transient-database-error';

export interface StorageErrorContext {
  /** What was being done, e.g. "upserting 5000 usage records". */
  operation: string;
  /** The statement, when there was one; only a short excerpt reaches the message. */
  sql?: string;
  /** Force a code instead of classifying the cause (connection vs query). */
  code?: ErrorCode;
  details?: Record<string, unknown>;
}

const SQL_EXCERPT_LENGTH = 160;

/** The first characters of a statement on one line, so a 4000-row INSERT does not flood a log. */
export function sqlExcerpt(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length <= SQL_EXCERPT_LENGTH ? line : `${line.slice(0, SQL_EXCERPT_LENGTH)}…`;
}

/**
 * A one-line description of a failure: its message, or for an AggregateError (Node's
 * happy-eyeballs connect tries every address of `localhost`) the messages inside it.
 */
export function causeText(error: unknown): string {
  const message = errorMessage(error);
  const inner = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(inner) && inner.length > 0) {
    const texts = [...new Set(inner.map((item) => errorMessage(item)))].join('; ');
    return message === '' ? texts : `${message} (${texts})`;
  }
  if (message !== '') return message;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

// knex prefixes driver messages with the whole statement ("insert into … - duplicate key"):
// keep the driver's part, the excerpt already says which statement.
function causeMessage(error: unknown, sql: string | undefined): string {
  const message = causeText(error);
  if (sql !== undefined && message.startsWith(sql)) return message.slice(sql.length).replace(/^ - /, '');
  const separator = message.lastIndexOf(' - ');
  if (separator > 200) return message.slice(separator + 3);
  return message;
}

/**
 * Wraps a knex or driver failure in a `StorageError`: E1001 when the connection was refused,
 * lost or timed out (worth a retry or a look at the server), E1002 for everything else the
 * database refused. An error that already is a `StorageError` passes through unchanged.
 */
export function toStorageError(error: unknown, context: StorageErrorContext): StorageError {
  if (error instanceof StorageError) return error;
  const code = context.code ?? (isConnectionFailure(error) ? ErrorCodes.DB_CONNECTION : ErrorCodes.DB_QUERY);
  const driverCode = (error as { code?: unknown } | null)?.code;
  const parts = [`${context.operation} failed: ${causeMessage(error, context.sql)}`];
  if (typeof driverCode === 'string') parts[0] += ` (${driverCode})`;
  if (context.sql !== undefined) parts.push(`SQL: ${sqlExcerpt(context.sql)}`);
  return new StorageError(code, parts.join(' — '), {
    cause: error,
    details: {
      ...context.details,
      ...(typeof driverCode === 'string' ? { driverCode } : {}),
      ...(context.sql !== undefined ? { sql: sqlExcerpt(context.sql) } : {}),
    },
  });
}
