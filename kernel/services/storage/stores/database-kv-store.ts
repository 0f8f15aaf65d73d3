import type { Knex } from 'knex';
import { StorageError } from '../../../core/errors';
import { assertJsonValue, checkKvKey, checkKvPlugin, KV_DEFAULT_MAX_BYTES, KV_DEFAULT_MAX_KEY_LENGTH, kvQuotaExceeded, type KvStore } from '../../kv';
import { toStorageError } from '../database';

export interface DatabaseKvStoreOptions {
  /** Largest total size of one plugin's keys and JSON values, in bytes. Default 1 MiB. */
  maxBytesPerPlugin?: number;
  maxKeyLength?: number;
  now?: () => number;
}

/**
 * Plugins' key-value stores in the `plugin_kv` table: shared by every kernel on the same
 * database, with the same limits and JSON rules as the embedded file store.
 */
export class DatabaseKvStore implements KvStore {
  private readonly maxBytes: number;
  private readonly maxKeyLength: number;
  private readonly now: () => number;

  constructor(
    private readonly knex: Knex,
    options: DatabaseKvStoreOptions = {},
  ) {
    this.maxBytes = options.maxBytesPerPlugin ?? KV_DEFAULT_MAX_BYTES;
    this.maxKeyLength = options.maxKeyLength ?? KV_DEFAULT_MAX_KEY_LENGTH;
    this.now = options.now ?? Date.now;
  }

  async get(plugin: string, key: string): Promise<unknown> {
    this.checkKey(plugin, key);
    const row = await this.run('get', () => this.knex('plugin_kv').first('value').where({ plugin, key })) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  async set(plugin: string, key: string, value: unknown): Promise<void> {
    this.checkKey(plugin, key);
    assertJsonValue(value, key);
    const text = JSON.stringify(value);
    await this.run('set', () =>
      this.knex.transaction(async (trx) => {
        const others = (await trx('plugin_kv').select('key', 'value').where({ plugin }).whereNot({ key })) as Array<{ key: string; value: string }>;
        const size = others.reduce((sum, row) => sum + Buffer.byteLength(row.key) + Buffer.byteLength(row.value), 0) + Buffer.byteLength(key) + Buffer.byteLength(text);
        if (size > this.maxBytes) throw kvQuotaExceeded(plugin, size, this.maxBytes);
        await trx('plugin_kv')
          .insert({ plugin, key, value: text, updated_at: this.now() })
          .onConflict(['plugin', 'key'])
          .merge(['value', 'updated_at']);
      }),
    );
  }

  async delete(plugin: string, key: string): Promise<void> {
    this.checkKey(plugin, key);
    await this.run('delete', () => this.knex('plugin_kv').where({ plugin, key }).delete());
  }

  async keys(plugin: string, prefix = ''): Promise<string[]> {
    this.checkPlugin(plugin);
    // Filtered here rather than with LIKE/ranges: collations differ between SQLite and
    // PostgreSQL, and a plugin's store is bounded by its quota anyway.
    const rows = (await this.run('keys', () => this.knex('plugin_kv').select('key').where({ plugin }))) as Array<{ key: string }>;
    return rows.map((row) => row.key).filter((key) => key.startsWith(prefix)).sort();
  }

  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw toStorageError(error, { operation: `kv.${operation}` });
    }
  }

  private checkPlugin(plugin: string): void {
    checkKvPlugin(plugin);
  }

  private checkKey(plugin: string, key: string): void {
    checkKvKey(plugin, key, this.maxKeyLength);
  }
}
