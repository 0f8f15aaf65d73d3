import { writeFileAtomic } from '../../fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ErrorCodes, StorageError } from '../../core/errors';
import { assertJsonValue } from './json-value';
import type { KvStore } from './kv-store';
import { checkKvKey, checkKvPlugin, KV_DEFAULT_MAX_BYTES, KV_DEFAULT_MAX_KEY_LENGTH, kvQuotaExceeded } from './kv-rules';

export interface JsonFileKvStoreOptions {
  /** Directory holding one `<plugin>.json` per plugin; created on first write. */
  dir: string;
  /** Largest serialised size of one plugin's store, in bytes. Default 1 MiB. */
  maxBytesPerPlugin?: number;
  /** Longest key, in characters. Default 512. */
  maxKeyLength?: number;
}

const fileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), z.unknown()) });
type FileShape = z.infer<typeof fileSchema>;


/**
 * The embedded key-value store: one JSON file per plugin, loaded once and kept in memory,
 * rewritten whole on each change through a temp file and a rename so a crash leaves either
 * the old file or the new one, never half of one. Operations on one plugin run one at a time
 * in call order; a single kernel process is assumed to own the directory.
 */
export class JsonFileKvStore implements KvStore {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxKeyLength: number;
  private readonly loaded = new Map<string, Map<string, unknown>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(options: JsonFileKvStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.maxBytes = options.maxBytesPerPlugin ?? KV_DEFAULT_MAX_BYTES;
    this.maxKeyLength = options.maxKeyLength ?? KV_DEFAULT_MAX_KEY_LENGTH;
  }

  async get(plugin: string, key: string): Promise<unknown> {
    this.checkKey(plugin, key);
    return this.exclusive(plugin, async (entries) => {
      const value = entries.get(key);
      // A copy, so a caller mutating what it got cannot change what is stored.
      return value === undefined ? undefined : structuredClone(value);
    });
  }

  async set(plugin: string, key: string, value: unknown): Promise<void> {
    this.checkKey(plugin, key);
    assertJsonValue(value, key);
    const copy: unknown = structuredClone(value);
    return this.exclusive(plugin, async (entries) => {
      const next = new Map(entries);
      next.set(key, copy);
      await this.persist(plugin, next);
      this.loaded.set(plugin, next);
    });
  }

  async delete(plugin: string, key: string): Promise<void> {
    this.checkKey(plugin, key);
    return this.exclusive(plugin, async (entries) => {
      if (!entries.has(key)) return;
      const next = new Map(entries);
      next.delete(key);
      await this.persist(plugin, next);
      this.loaded.set(plugin, next);
    });
  }

  async keys(plugin: string, prefix = ''): Promise<string[]> {
    this.checkPlugin(plugin);
    return this.exclusive(plugin, async (entries) => [...entries.keys()].filter((key) => key.startsWith(prefix)).sort());
  }

  /** The file a plugin's entries live in; names are percent-encoded so `@scope/name` stays one file. */
  fileOf(plugin: string): string {
    return path.join(this.dir, `${encodeURIComponent(plugin)}.json`);
  }

  private exclusive<T>(plugin: string, work: (entries: Map<string, unknown>) => Promise<T>): Promise<T> {
    const previous = this.queues.get(plugin) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => work(await this.load(plugin)));
    this.queues.set(plugin, run);
    return run;
  }

  private async load(plugin: string): Promise<Map<string, unknown>> {
    const cached = this.loaded.get(plugin);
    if (cached) return cached;
    const file = this.fileOf(plugin);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StorageError(ErrorCodes.DB_QUERY, `cannot read the kv store of plugin "${plugin}" at ${file}`, { cause: error });
      }
      const empty = new Map<string, unknown>();
      this.loaded.set(plugin, empty);
      return empty;
    }
    const entries = new Map(Object.entries(parseFile(text, plugin, file).entries));
    this.loaded.set(plugin, entries);
    return entries;
  }

  private async persist(plugin: string, entries: Map<string, unknown>): Promise<void> {
    const shape: FileShape = { version: 1, entries: Object.fromEntries(entries) };
    const text = JSON.stringify(shape);
    const size = Buffer.byteLength(text);
    if (size > this.maxBytes) throw kvQuotaExceeded(plugin, size, this.maxBytes);
    const file = this.fileOf(plugin);
    try {
      await writeFileAtomic(file, text);
    } catch (error) {
      throw new StorageError(ErrorCodes.DB_QUERY, `cannot write the kv store of plugin "${plugin}" at ${file}`, { cause: error });
    }
  }

  private checkPlugin(plugin: string): void {
    checkKvPlugin(plugin);
  }

  private checkKey(plugin: string, key: string): void {
    checkKvKey(plugin, key, this.maxKeyLength);
  }
}

function parseFile(text: string, plugin: string, file: string): FileShape {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError(ErrorCodes.DB_QUERY, `the kv store of plugin "${plugin}" at ${file} is not valid JSON`, { cause: error });
  }
  const result = fileSchema.safeParse(parsed);
  if (!result.success) {
    throw new StorageError(ErrorCodes.DB_QUERY, `the kv store of plugin "${plugin}" at ${file} has an unknown format`, {
      cause: result.error,
    });
  }
  return result.data;
}
