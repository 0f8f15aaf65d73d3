/**
 * Every error Rimuru raises on purpose, with a stable code, a message a user can act on,
 * and the underlying cause. Codes are grouped by area:
 *   E1xxx storage · E2xxx sandbox · E3xxx plugins/registry · E4xxx config · E5xxx hooks · E6xxx CLI
 *   E7xxx kernel wiring (container) · E8xxx pricing · E9xxx imports
 */

export const ErrorCodes = {
  // storage
  DB_CONNECTION: 'E1001',
  DB_QUERY: 'E1002',
  DB_MIGRATION: 'E1003',
  DB_SCHEMA_TOO_NEW: 'E1004',
  DB_NOT_CONFIGURED: 'E1005',
  KV_QUOTA_EXCEEDED: 'E1006',
  KV_INVALID_VALUE: 'E1007',
  DB_INVALID_RECORD: 'E1008',
  DB_INVALID_QUERY: 'E1009',
  // sandbox
  SANDBOX_MEMORY_LIMIT: 'E2001',
  SANDBOX_CPU_TIMEOUT: 'E2002',
  SANDBOX_WALL_TIMEOUT: 'E2003',
  PERMISSION_DENIED: 'E2004',
  SANDBOX_RESULT_TOO_LARGE: 'E2005',
  PLUGIN_THREW: 'E2006',
  SANDBOX_BAD_BUNDLE: 'E2007',
  SANDBOX_DISPOSED: 'E2008',
  CAPABILITY_FAILED: 'E2009',
  CAPABILITY_BAD_REQUEST: 'E2010',
  // plugins / registry
  MANIFEST_INVALID: 'E3001',
  PLUGIN_VERSION_MISMATCH: 'E3002',
  PLUGIN_DEPENDENCY_MISSING: 'E3003',
  PLUGIN_DEPENDENCY_CYCLE: 'E3004',
  PLUGIN_NOT_FOUND: 'E3005',
  PLUGIN_DUPLICATE: 'E3006',
  PLUGIN_RESTARTS_EXHAUSTED: 'E3007',
  PLUGIN_ILLEGAL_TRANSITION: 'E3008',
  ADAPTER_INVALID_OUTPUT: 'E3009',
  // config
  CONFIG_INVALID: 'E4001',
  CONFIG_UNREADABLE: 'E4002',
  // hooks
  HOOK_TIMEOUT: 'E5001',
  HOOK_HANDLER_FAILED: 'E5002',
  HOOK_UNKNOWN: 'E5003',
  HOOK_HANDLER_INVALID: 'E5004',
  // hooks: notifications and budgets (E51xx)
  NOTIFIER_NOT_FOUND: 'E5101',
  NOTIFICATION_INVALID: 'E5102',
  NOTIFICATION_FAILED: 'E5103',
  NOTIFIER_NOT_RUNNING: 'E5104',
  // cli
  USAGE: 'E6001',
  REPORT_SUBJECT_NOT_FOUND: 'E6002',
  // kernel wiring
  SERVICE_UNAVAILABLE: 'E7001',
  // pricing
  PRICING_SNAPSHOT_INVALID: 'E8001',
  SYNC_PROVIDER_NOT_FOUND: 'E8002',
  SYNC_FAILED: 'E8003',
  SYNC_INVALID_RESULT: 'E8004',
  MODEL_NOT_FOUND: 'E8005',
  // imports
  IMPORT_UNREADABLE: 'E9001',
  IMPORT_INVALID_FILE: 'E9002',
  // exports (E91xx)
  EXPORT_FAILED: 'E9101',
  EXPORT_WRITE_FAILED: 'E9102',
  // HTTP server (E71xx)
  SERVER_LISTEN_FAILED: 'E7101',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface RimuruErrorOptions {
  cause?: unknown;
  /** Extra structured context for logs and `--json` output (plugin, hook, file, key…). */
  details?: Record<string, unknown>;
}

export class RimuruError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: RimuruErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** A plugin broke one of its limits, crashed its isolate, or sent something invalid. */
export class SandboxError extends RimuruError {}
/** A capability call was refused by the permission gate. */
export class PermissionDeniedError extends RimuruError {
  constructor(message: string, options: RimuruErrorOptions = {}) {
    super(ErrorCodes.PERMISSION_DENIED, message, options);
  }
}
/** A manifest, dependency or state problem found by the registry. */
export class PluginError extends RimuruError {}
/** The configuration could not be read or is invalid. */
export class ConfigError extends RimuruError {}
/** A hook handler failed or timed out. */
export class HookError extends RimuruError {}
/** A notification could not be routed or delivered, or a notifier is missing. */
export class NotificationError extends RimuruError {}
/** The command line was used wrongly. */
export class UsageError extends RimuruError {
  constructor(message: string, options: RimuruErrorOptions = {}) {
    super(ErrorCodes.USAGE, message, options);
  }
}
/** Storage could not connect, query or migrate. */
export class StorageError extends RimuruError {}
/** A host service could not be built, is not registered, or was already disposed. */
export class ContainerError extends RimuruError {}
/** A price list (the embedded snapshot or a synced one) could not be read. */
export class PricingError extends RimuruError {}
/** A file given to import (e.g. a Cursor usage CSV) cannot be read or is not what it claims to be. */
export class ImportError extends RimuruError {}
/** An export could not be produced (its exporter plugin failed) or written. */
export class ExportError extends RimuruError {}

export function isRimuruError(value: unknown): value is RimuruError {
  return value instanceof RimuruError;
}

/** Best-effort message of anything thrown. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  // Errors made in another realm (isolated-vm, vm contexts) fail `instanceof Error` but still
  // carry a message; JSON.stringify would print `{}` for them.
  const message = (value as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return JSON.stringify(value) ?? String(value);
}
