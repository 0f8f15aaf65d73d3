/**
 * Capability clients: the only way plugin code reaches the outside world. Each call becomes
 * an RPC to the host, which checks it against the plugin's manifest permissions first.
 */
export interface FileStat {
  path: string;
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface DirEntry {
  name: string;
  path: string;
  isFile: boolean;
  isDirectory: boolean;
  /** With `list(dir, { stat: true })`: the entry's size and mtime (of what a symlink points to). */
  size?: number;
  mtimeMs?: number;
}

export interface ReadResult {
  /** utf8 text, or base64 when `encoding: 'base64'`. */
  data: string;
  bytesRead: number;
  eof: boolean;
}

export interface ReadLinesResult {
  /** Complete lines (without the newline). A trailing partial line is not returned. */
  lines: string[];
  /** Byte offset just after the last returned line: pass it back to continue. */
  nextOffset: number;
  eof: boolean;
  /** Lines longer than `maxLineBytes` that were skipped (never buffered whole). */
  skippedLongLines: number;
}

export interface FsClient {
  /** `null` when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /**
   * The entries of a folder. `stat: true` adds each entry's size and mtime, stat-ed by the host
   * in one call — far cheaper than a `stat` per entry across the sandbox boundary.
   */
  list(dir: string, options?: { stat?: boolean }): Promise<DirEntry[]>;
  /** Files under `root` matching a glob (`**`, `*`, `?`). */
  glob(root: string, pattern: string, options?: { maxResults?: number }): Promise<string[]>;
  read(path: string, options?: { offset?: number; length?: number; encoding?: 'utf8' | 'base64' }): Promise<ReadResult>;
  readLines(
    path: string,
    options?: { offset?: number; maxBytes?: number; maxLines?: number; maxLineBytes?: number },
  ): Promise<ReadLinesResult>;
  writeFile(path: string, data: string): Promise<void>;
  appendFile(path: string, data: string): Promise<void>;
}

export interface SqliteClient {
  /** Runs one read-only statement on a database file and returns its rows. */
  query<Row = Record<string, unknown>>(file: string, sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Largest body to read; the response is cut and `truncated` set beyond it. */
  maxBytes?: number;
  /**
   * `false`: a body over `maxBytes` fails the call (E2005) instead of being cut, and nothing of
   * it is returned — for documents that are useless when incomplete (a JSON price list).
   * Default `true`.
   */
  truncate?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
}

export interface HttpClient {
  fetch(url: string, request?: HttpRequest): Promise<HttpResponse>;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExecClient {
  /** Runs a binary without a shell. */
  run(binary: string, args?: string[], options?: { cwd?: string; timeoutMs?: number; input?: string }): Promise<ExecResult>;
}

export interface WsClient {
  /** Opens a connection and returns its id. */
  connect(url: string, options?: { headers?: Record<string, string> }): Promise<string>;
  send(id: string, data: string): Promise<void>;
  /** Messages received since the last call, waiting up to `timeoutMs` for the first. */
  receive(id: string, options?: { timeoutMs?: number; max?: number }): Promise<{ messages: string[]; closed: boolean }>;
  close(id: string): Promise<void>;
}

export interface EnvClient {
  /** The variable's value, or undefined when unset. Only variables listed in `permissions.env`. */
  get(name: string): Promise<string | undefined>;
  /** The user's home directory (always allowed). */
  home(): Promise<string>;
}

export interface KvClient {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix?: string): Promise<string[]>;
}

export interface DataClient {
  /** Typed read of kernel data; `kind` must be listed in `permissions.data`. */
  query<Row = Record<string, unknown>>(kind: string, filter?: Record<string, unknown>): Promise<Row[]>;
}

export interface HooksClient {
  /** Emits `custom:<name>`; the name must be listed in `contributes.emits`. */
  emit(name: string, payload: unknown): Promise<void>;
}

export type LogFields = Record<string, unknown>;

export interface LogClient {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** What every plugin function receives: its identity, config and capability clients. */
export interface PluginContext {
  readonly pluginName: string;
  readonly pluginVersion: string;
  /** This plugin's section of the user config (`plugins.config["<name>"]`). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly fs: FsClient;
  readonly sqlite: SqliteClient;
  readonly http: HttpClient;
  readonly exec: ExecClient;
  readonly ws: WsClient;
  readonly env: EnvClient;
  readonly kv: KvClient;
  readonly data: DataClient;
  readonly hooks: HooksClient;
  readonly log: LogClient;
}
