/**
 * Upper bounds on what one capability call may cost the host. A plugin may ask for less
 * (e.g. a smaller `maxBytes`), never for more: asking for more is clamped to these.
 */
export interface CapabilityLimits {
  /** Largest args JSON a host call may carry. */
  maxArgsBytes: number;
  /** fs.read: bytes returned by one call. */
  maxReadBytes: number;
  /** fs.readLines: bytes of lines returned by one call (also the longest line kept). */
  maxReadLinesBytes: number;
  /** fs.readLines: bytes of over-long lines one call may scan past before it returns mid-line. */
  maxSkipScanBytes: number;
  /** fs.writeFile / fs.appendFile: bytes written by one call. */
  maxWriteBytes: number;
  /** fs.list: entries in one directory. */
  maxListEntries: number;
  /** fs.glob: results of one call. */
  maxGlobResults: number;
  /** fs.glob: directories one call may walk. */
  maxGlobDirectories: number;
  /** sqlite.query: rows returned. */
  maxSqliteRows: number;
  /** sqlite.query: serialised size of the returned rows. */
  maxSqliteResultBytes: number;
  /** sqlite.query: how long one statement may run before its worker is killed. */
  sqliteTimeoutMs: number;
  /** sqlite: database handles kept open per plugin. */
  maxSqliteHandles: number;
  /** http.fetch: response body bytes read. */
  maxHttpBodyBytes: number;
  /** http.fetch: request body bytes sent. */
  maxHttpRequestBytes: number;
  /** http.fetch: whole request including redirects. */
  httpTimeoutMs: number;
  /** http.fetch: redirects followed (each one re-checked against the gate). */
  maxRedirects: number;
  /** exec.run: bytes kept of stdout and of stderr; a child writing more is killed. */
  maxExecOutputBytes: number;
  /** exec.run: bytes written to the child's stdin. */
  maxExecInputBytes: number;
  /** exec.run: how long a child may run before it is killed. */
  execTimeoutMs: number;
  /** ws: connections open at once per plugin. */
  maxWsConnections: number;
  /** ws: size of one message, in and out. */
  maxWsMessageBytes: number;
  /** ws: messages queued per connection before the socket is paused. */
  maxWsQueuedMessages: number;
  /** ws: handshake deadline. */
  wsConnectTimeoutMs: number;
  /** ws.receive: longest wait for a first message. */
  maxWsReceiveWaitMs: number;
  /** log: characters kept of a message. */
  maxLogMessageChars: number;
  /** log: serialised size of the fields of one line. */
  maxLogFieldsBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_CAPABILITY_LIMITS: Readonly<CapabilityLimits> = Object.freeze({
  maxArgsBytes: 24 * MiB,
  maxReadBytes: 8 * MiB,
  maxReadLinesBytes: 8 * MiB,
  maxSkipScanBytes: 512 * MiB,
  maxWriteBytes: 16 * MiB,
  maxListEntries: 50_000,
  maxGlobResults: 10_000,
  maxGlobDirectories: 20_000,
  maxSqliteRows: 50_000,
  maxSqliteResultBytes: 16 * MiB,
  sqliteTimeoutMs: 10_000,
  maxSqliteHandles: 16,
  maxHttpBodyBytes: 16 * MiB,
  maxHttpRequestBytes: 8 * MiB,
  httpTimeoutMs: 30_000,
  maxRedirects: 5,
  maxExecOutputBytes: 4 * MiB,
  maxExecInputBytes: 4 * MiB,
  execTimeoutMs: 60_000,
  maxWsConnections: 8,
  maxWsMessageBytes: 4 * MiB,
  maxWsQueuedMessages: 1_000,
  wsConnectTimeoutMs: 10_000,
  maxWsReceiveWaitMs: 30_000,
  maxLogMessageChars: 4_096,
  maxLogFieldsBytes: 16_384,
});

export function resolveCapabilityLimits(overrides: Partial<CapabilityLimits> = {}): CapabilityLimits {
  return { ...DEFAULT_CAPABILITY_LIMITS, ...overrides };
}

/** A plugin's requested bound, clamped to the host's. */
export function clamp(requested: number | undefined, hostLimit: number): number {
  return requested === undefined ? hostLimit : Math.min(requested, hostLimit);
}
