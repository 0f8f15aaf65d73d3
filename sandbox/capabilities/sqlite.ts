import { constants as fsConstants } from 'node:fs';
import { z } from 'zod';
import { ErrorCodes } from '../../kernel/core/errors';
import { badRequest, CapabilityError, capabilityFailed, resultTooLarge } from './capability-errors';
import { method, type Capability, type CapabilityContext } from './capability-method';
import { pathArg } from './arg-schemas';
import { SqliteQueryFailure, SqliteQueryProcess } from './sqlite-query-process';

const queryArgs = z.strictObject({
  file: pathArg,
  sql: z.string().min(1).max(100_000),
  params: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).max(999).optional(),
});

/**
 * The `sqlite` capability: one read-only statement on a database file under a `sqlite` root.
 * Files are opened `readonly` and must exist; only statements that return rows and write
 * nothing run; BLOBs come back base64-encoded and integers beyond 2^53 as numbers.
 */
export function createSqliteCapability({ plugin, gate, limits }: CapabilityContext): Capability {
  const pool = new SqliteQueryProcess();
  const where = 'sqlite.query';
  return {
    methods: {
      query: method(plugin, queryArgs, async (args) => {
        const real = await gate.checkPath('sqlite', args.file);
        // Open once through the gate to check the real file is a regular file still inside
        // the roots; the worker then opens that same real path.
        const probe = await gate.openFile('sqlite', real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
        try {
          if (!(await probe.stat()).isFile()) throw capabilityFailed(plugin, where, new Error(`"${args.file}" is not a database file`));
        } finally {
          await probe.close();
        }
        try {
          return await pool.query({
            file: real,
            sql: args.sql,
            // SQLite has no boolean type; bind them the way SQLite stores them.
            params: (args.params ?? []).map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value)),
            maxRows: limits.maxSqliteRows,
            maxBytes: limits.maxSqliteResultBytes,
            maxHandles: limits.maxSqliteHandles,
            timeoutMs: limits.sqliteTimeoutMs,
          });
        } catch (error) {
          if (!(error instanceof SqliteQueryFailure)) throw error;
          if (error.kind === 'not-reader') throw badRequest(plugin, where, error.message);
          if (error.kind === 'too-many-rows' || error.kind === 'too-large') throw resultTooLarge(plugin, where, error.message);
          throw new CapabilityError(ErrorCodes.CAPABILITY_FAILED, `${where} failed for plugin "${plugin}" on "${args.file}": ${error.message}`, {
            details: { plugin, capability: where, file: args.file },
          });
        }
      }),
    },
    dispose: () => pool.close(),
  };
}
