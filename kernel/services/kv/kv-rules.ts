import { ErrorCodes, StorageError } from '../../core/errors';

/** Limits and checks every KvStore applies, so a plugin meets the same rules on every backend. */
export const KV_DEFAULT_MAX_BYTES = 1024 * 1024;
export const KV_DEFAULT_MAX_KEY_LENGTH = 512;

export function checkKvPlugin(plugin: string): void {
  if (plugin === '') throw new StorageError(ErrorCodes.KV_INVALID_VALUE, 'a kv store needs a plugin name');
}

export function checkKvKey(plugin: string, key: string, maxKeyLength: number): void {
  checkKvPlugin(plugin);
  if (key === '' || key.length > maxKeyLength) {
    throw new StorageError(
      ErrorCodes.KV_INVALID_VALUE,
      `kv key of plugin "${plugin}" must be 1 to ${maxKeyLength} characters long (got ${key.length})`,
      { details: { plugin } },
    );
  }
}

export function kvQuotaExceeded(plugin: string, size: number, limit: number): StorageError {
  return new StorageError(
    ErrorCodes.KV_QUOTA_EXCEEDED,
    `the kv store of plugin "${plugin}" would grow to ${size} bytes, over its ${limit}-byte limit: delete keys it no longer needs`,
    { details: { plugin, size, limit } },
  );
}
