export type { KvStore } from './kv-store';
export { JsonFileKvStore } from './json-file-kv-store';
export type { JsonFileKvStoreOptions } from './json-file-kv-store';
export { assertJsonValue } from './json-value';
export { checkKvKey, checkKvPlugin, kvQuotaExceeded, KV_DEFAULT_MAX_BYTES, KV_DEFAULT_MAX_KEY_LENGTH } from './kv-rules';
