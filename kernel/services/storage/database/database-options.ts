import * as path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ResolvedConfig } from '../../../config/schema';
import { ErrorCodes, StorageError } from '../../../core/errors';
import { retryConfigSchema, type RetryConfig } from '../retry/retry-config';
import { maskUrl } from './mask-url';

/** How to reach the store. Built from the config by `databaseOptionsFromConfig`. */
export interface DatabaseOptions {
  /** A `postgres://` or `postgresql://` URL selects PostgreSQL; absent selects SQLite. */
  url?: string;
  /** The data dir; the SQLite file lives here. */
  dataDir: string;
  /** SQLite file name or path, relative to `dataDir`. Default `rimuru.db`. */
  sqliteFile?: string;
  maxConnections: number;
  minConnections: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** PostgreSQL schema to work in (tests use one fresh schema per suite). Must exist. */
  searchPath?: string;
  logger?: Logger;
  /** Retries of the first connection. Default `RetryPresets.database`. */
  retry?: RetryConfig;
}

export const SQLITE_DEFAULT_FILE = 'rimuru.db';

const databaseOptionsSchema = z
  .object({
    url: z.string().min(1).optional(),
    dataDir: z.string().min(1),
    sqliteFile: z.string().min(1).optional(),
    maxConnections: z.number().int().positive(),
    minConnections: z.number().int().nonnegative(),
    connectTimeoutMs: z.number().int().positive(),
    idleTimeoutMs: z.number().int().positive(),
    searchPath: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/, 'a plain schema name').optional(),
    logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null).optional(),
    retry: retryConfigSchema.optional(),
  })
  .strict()
  .refine((options) => options.minConnections <= options.maxConnections, {
    message: 'minConnections must be <= maxConnections',
    path: ['minConnections'],
  });

export type StorageTarget =
  | { dialect: 'sqlite'; filename: string }
  | { dialect: 'postgres'; url: string; host: string; port: number; database: string };

/** Validates the options at the door and decides the backend from the URL. */
export function resolveStorageTarget(raw: DatabaseOptions): { options: DatabaseOptions; target: StorageTarget } {
  const parsed = databaseOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`).join('; ');
    throw new StorageError(ErrorCodes.DB_NOT_CONFIGURED, `invalid database options: ${issues}`);
  }
  const options: DatabaseOptions = { ...parsed.data, logger: raw.logger };
  if (options.url === undefined) {
    const filename = path.resolve(options.dataDir, options.sqliteFile ?? SQLITE_DEFAULT_FILE);
    return { options, target: { dialect: 'sqlite', filename } };
  }
  return { options, target: parsePostgresUrl(options.url) };
}

function parsePostgresUrl(url: string): StorageTarget {
  const accepted = 'accepted: postgres://user[:password]@host[:port]/database (or postgresql://), or no url for the embedded SQLite store';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StorageError(ErrorCodes.DB_CONNECTION, `database url "${maskUrl(url)}" is not a valid URL; ${accepted}`, {
      cause: error,
      details: { url: maskUrl(url) },
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new StorageError(
      ErrorCodes.DB_CONNECTION,
      `database url "${maskUrl(url)}" uses the unsupported scheme "${parsed.protocol.replace(/:$/, '')}"; ${accepted}`,
      { details: { url: maskUrl(url) } },
    );
  }
  const host = parsed.hostname === '' ? 'localhost' : parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return { dialect: 'postgres', url, host, port, database };
}

/** The options the kernel connects with, from its resolved config. */
export function databaseOptionsFromConfig(config: ResolvedConfig, logger?: Logger): DatabaseOptions {
  const { url, maxConnections, minConnections, connectTimeoutMs, idleTimeoutMs } = config.database;
  return {
    ...(url !== undefined ? { url } : {}),
    dataDir: config.dataDir,
    maxConnections,
    minConnections,
    connectTimeoutMs,
    idleTimeoutMs,
    ...(logger !== undefined ? { logger } : {}),
  };
}
