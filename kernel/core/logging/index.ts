export { createLogger, LOGGER_LEVELS, type CreateLoggerOptions, type LoggerLevel } from './create-logger';
export { pluginLogger } from './plugin-logger';
export { REDACT_PATHS, REDACTED } from './redaction';
export type { Logger } from 'pino';
