export type { KvStore } from './kv-store';
export { JsonFileKvStore } from './json-file-kv-store';
export type { JsonFileKvStoreOptions } from './json-file-kv-store';
export { assertJsonValue } from './json-value';
