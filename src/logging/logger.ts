/** Log levels, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A minimal leveled logger writing one line per message to stderr. */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Parses a level name, throwing a clear error for anything else. */
export function parseLogLevel(value: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new RangeError(`Expected a log level (${LOG_LEVELS.join(', ')}), got \`${value}\``);
}

/** A logger that writes messages at `level` or above to `stream` (default stderr). */
export function createLogger(level: LogLevel = 'info', stream: NodeJS.WritableStream = process.stderr): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const write = (at: LogLevel, message: string) => {
    if (LOG_LEVELS.indexOf(at) >= threshold) stream.write(`${new Date().toISOString()} ${at.padEnd(5)} ${message}\n`);
  };
  return {
    level,
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message, error) =>
      write('error', error === undefined ? message : `${message}: ${(error as Error)?.stack ?? String(error)}`),
  };
}
