import { errorMessage, isRimuruError } from '../core/errors';
import { Database, databaseOptionsFromConfig, type HealthStatus, type SchemaStatus } from '../services/storage';
import type { CliContext } from './cli-context';

/** What `status` and `db status` say about the store; never throws: an outage is reported. */
export interface StorageReport {
  dialect: 'sqlite' | 'postgres';
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  location: string | null;
  ok: boolean;
  latencyMs: number | null;
  schema: SchemaStatus | null;
  error: { code: string | null; message: string } | null;
}

export async function storageReport(context: CliContext): Promise<StorageReport> {
  const dialect = context.config.database.url ? 'postgres' : 'sqlite';
  let database: Database;
  try {
    database = await Database.connect(databaseOptionsFromConfig(context.config, context.logger));
  } catch (error) {
    return { dialect, location: null, ok: false, latencyMs: null, schema: null, error: describe(error) };
  }
  try {
    const health: HealthStatus = await database.healthCheck();
    const schema = health.ok ? await database.schemaStatus() : null;
    return {
      dialect: database.dialect,
      location: database.location,
      ok: health.ok,
      latencyMs: health.latencyMs,
      schema,
      error: health.error ? { code: null, message: health.error } : null,
    };
  } catch (error) {
    return { dialect, location: database.location, ok: false, latencyMs: null, schema: null, error: describe(error) };
  } finally {
    await database.close();
  }
}

export function formatStorageLine(report: StorageReport): string {
  if (!report.ok) return `${report.dialect} — UNREACHABLE: ${report.error?.code ?? ''} ${report.error?.message ?? ''}`.trim();
  const schema = report.schema;
  const version = schema ? `schema ${schema.applied.at(-1) ?? 'empty'}${schema.pending.length ? `, ${schema.pending.length} migration(s) pending (applied on the next run)` : ''}${schema.unknown.length ? `, NEWER than this Rimuru (${schema.unknown.join(', ')})` : ''}` : '';
  return `${report.dialect} at ${report.location} (${report.latencyMs} ms; ${version})`;
}

function describe(error: unknown): StorageReport['error'] {
  return { code: isRimuruError(error) ? error.code : null, message: errorMessage(error) };
}
