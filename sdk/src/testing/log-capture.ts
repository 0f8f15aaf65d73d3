import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** One log line a plugin (or the host on its behalf) wrote, as pino recorded it. */
export interface CapturedLog {
  /** `debug`, `info`, `warn`, `error` (or `fatal`/`trace` from the host). */
  level: string;
  msg: string;
  /** The plugin the line belongs to. */
  plugin?: string;
  /** Fields the plugin passed to `ctx.log.*`. */
  fields?: Record<string, unknown>;
  /** Everything else pino recorded (time, code, details…). */
  [key: string]: unknown;
}

/**
 * A pino logger that keeps every line in memory instead of printing it, so a test can assert
 * on what its plugin logged.
 */
export function captureLogs(): { logger: Logger; logs: CapturedLog[] } {
  const logs: CapturedLog[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push({ ...entry, level: pino.levels.labels[Number(entry.level)] ?? String(entry.level), msg: String(entry.msg ?? '') });
        } catch {
          logs.push({ level: 'info', msg: line });
        }
      }
      done();
    },
  });
  // Synchronous writes: a test reads `logs` right after the call that logged.
  const logger = pino({ level: 'debug', base: undefined }, sink);
  return { logger, logs };
}
