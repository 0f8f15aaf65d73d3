/**
 * The in-isolate side of the capability bridge: each client method becomes one
 * `__rimuruHostCall(capability, method, argsJson)` and the host checks it against the
 * manifest before doing anything. This file runs inside the sandbox, so it must not import
 * anything from Node.
 */
import type {
  DataClient,
  EnvClient,
  ExecClient,
  FsClient,
  HooksClient,
  HttpClient,
  KvClient,
  LogClient,
  LogFields,
  PluginContext,
  SqliteClient,
  WsClient,
} from './capabilities';
import { HOST_CALL_GLOBAL, type CapabilityName, type WireError } from './protocol';

type HostCall = (capability: string, method: string, argsJson: string) => Promise<string>;

/** A capability call the host refused or failed; `code` is a Rimuru error code such as `E2004`. */
export class CapabilityError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CapabilityError';
    this.code = code;
  }
}

function hostCall(): HostCall {
  const fn = (globalThis as Record<string, unknown>)[HOST_CALL_GLOBAL];
  if (typeof fn !== 'function') {
    throw new CapabilityError('E2007', 'the Rimuru host bridge is missing: this code must run inside the Rimuru sandbox');
  }
  return fn as HostCall;
}

function toCapabilityError(err: unknown): CapabilityError {
  const message = err instanceof Error ? err.message : String(err);
  try {
    const wire = JSON.parse(message) as Partial<WireError>;
    if (typeof wire.code === 'string' && typeof wire.message === 'string') return new CapabilityError(wire.code, wire.message);
  } catch {
    // not a wire error: fall through
  }
  return new CapabilityError('E2009', message);
}

async function call<T>(capability: CapabilityName, method: string, args: Record<string, unknown>): Promise<T> {
  let resultJson: string;
  try {
    resultJson = await hostCall()(capability, method, JSON.stringify(args));
  } catch (err) {
    throw toCapabilityError(err);
  }
  return (resultJson === undefined || resultJson === '' ? undefined : JSON.parse(resultJson)) as T;
}

/** Removes undefined entries so optional arguments do not reach the host as `null`. */
function args(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value;
  return out;
}

const fs: FsClient = {
  stat: (path) => call('fs', 'stat', { path }),
  list: (dir, options = {}) => call('fs', 'list', args({ dir, ...options })),
  glob: (root, pattern, options = {}) => call('fs', 'glob', args({ root, pattern, ...options })),
  read: (path, options = {}) => call('fs', 'read', args({ path, ...options })),
  readLines: (path, options = {}) => call('fs', 'readLines', args({ path, ...options })),
  writeFile: (path, data) => call('fs', 'writeFile', { path, data }),
  appendFile: (path, data) => call('fs', 'appendFile', { path, data }),
};

const sqlite: SqliteClient = {
  query: (file, sql, params = []) => call('sqlite', 'query', { file, sql, params }),
};

const http: HttpClient = {
  fetch: (url, request = {}) => call('http', 'fetch', args({ url, ...request })),
};

const exec: ExecClient = {
  run: (binary, argv = [], options = {}) => call('exec', 'run', args({ binary, args: argv, ...options })),
};

const ws: WsClient = {
  connect: (url, options = {}) => call('ws', 'connect', args({ url, ...options })),
  send: (id, data) => call('ws', 'send', { id, data }),
  receive: (id, options = {}) => call('ws', 'receive', args({ id, ...options })),
  close: (id) => call('ws', 'close', { id }),
};

const env: EnvClient = {
  get: async (name) => (await call<string | null>('env', 'get', { name })) ?? undefined,
  home: () => call('env', 'home', {}),
};

const kv: KvClient = {
  get: async <T>(key: string) => ((await call<T | null>('kv', 'get', { key })) ?? undefined) as T | undefined,
  set: (key, value) => call('kv', 'set', { key, value }),
  delete: (key) => call('kv', 'delete', { key }),
  keys: (prefix) => call('kv', 'keys', args({ prefix })),
};

const data: DataClient = {
  query: (kind, filter = {}) => call('data', 'query', { kind, filter }),
};

const hooks: HooksClient = {
  emit: (name, payload) => call('hooks', 'emit', { name, payload }),
};

function logAt(level: 'debug' | 'info' | 'warn' | 'error') {
  return (msg: string, fields?: LogFields): void => {
    // Logging never throws into plugin code and is not awaited: a lost log line is better
    // than a plugin that fails because the host was slow to write one.
    call('log', level, args({ msg, fields })).catch(() => undefined);
  };
}

const log: LogClient = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };

/** Builds the context handed to every plugin function. */
export function createPluginContext(identity: { pluginName: string; pluginVersion: string; config: unknown }): PluginContext {
  const config = (identity.config && typeof identity.config === 'object' ? identity.config : {}) as Record<string, unknown>;
  return Object.freeze({
    pluginName: identity.pluginName,
    pluginVersion: identity.pluginVersion,
    config: Object.freeze({ ...config }),
    fs,
    sqlite,
    http,
    exec,
    ws,
    env,
    kv,
    data,
    hooks,
    log,
  });
}
