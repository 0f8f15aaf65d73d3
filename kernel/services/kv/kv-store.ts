/**
 * A plugin's own persistent key-value store. Every call names the plugin, and an
 * implementation keeps each plugin's keys apart: the sandbox passes the calling plugin's
 * name, never one the plugin chose.
 */
export interface KvStore {
  /** The stored value, or `undefined` when the key is absent. */
  get(plugin: string, key: string): Promise<unknown>;
  /** Stores a JSON value (plain objects, arrays, strings, finite numbers, booleans, null). */
  set(plugin: string, key: string, value: unknown): Promise<void>;
  /** Removes a key; removing an absent key is not an error. */
  delete(plugin: string, key: string): Promise<void>;
  /** The plugin's keys starting with `prefix` (all when omitted), sorted. */
  keys(plugin: string, prefix?: string): Promise<string[]>;
}
