import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { z } from 'zod';
import { ConfigError, ErrorCodes } from '../errors';
import { REDACT_PATHS, REDACTED } from './redaction';

export const LOGGER_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LoggerLevel = (typeof LOGGER_LEVELS)[number];

const STDERR_FD = 2;

export interface CreateLoggerOptions {
  level?: LoggerLevel;
  /** Human-readable lines instead of JSON. Default: whether stdout is a terminal. */
  pretty?: boolean;
  /** Where log lines go: a stream or a file descriptor. Default: stderr (stdout carries command output and `--json`). */
  destination?: DestinationStream | number;
}

const optionsSchema = z.object({
  level: z.enum(LOGGER_LEVELS).default('info'),
  pretty: z.boolean().optional(),
  destination: z
    .union([
      z.number().int().nonnegative(),
      z.custom<DestinationStream>(
        (value) => typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function',
        { message: 'destination must be a file descriptor or a writable stream' },
      ),
    ])
    .optional(),
});

/**
 * The kernel's root logger. Both outputs write synchronously on purpose: a worker-thread
 * transport loses the last lines when the CLI exits right after logging an error.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, `Invalid logger options: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const { level, destination } = parsed.data;
  const pretty = parsed.data.pretty ?? process.stdout.isTTY === true;
  const target = destination ?? STDERR_FD;

  const stream: DestinationStream = pretty
    ? // Loaded only for a terminal: ~20 ms of every start otherwise (reports pipe JSON logs).
      (require('pino-pretty') as typeof PinoPretty)({
        destination: target,
        sync: true,
        // Colour only a real terminal: escape codes in a file or a test capture are noise.
        colorize: target === STDERR_FD && process.stderr.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : typeof target === 'number'
      ? pino.destination({ fd: target, sync: true })
      : target;

  return pino({ level, redact: { paths: [...REDACT_PATHS], censor: REDACTED } }, stream);
}
