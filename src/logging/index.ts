export { LOG_LEVELS, createLogger, parseLogLevel } from './logger.ts';
export type { LogLevel, Logger } from './logger.ts';
