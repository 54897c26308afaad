/**
 * The one logger of Tally's long-running processes (worker, API): one line per entry, JSON in production,
 * readable text in development (TALLY_DEV=1), or as TALLY_LOG_FORMAT says; entries below TALLY_LOG_LEVEL
 * are dropped before anything is built. Fields go through `redact`, so a secret never reaches a line.
 */
import { redact } from '../security/redact';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export interface Logger {
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; by default warnings and errors to stderr, the rest to stdout. */
  write?: (line: string, level: LogLevel) => void;
  now?: () => Date;
}

function textValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = logLevels.indexOf(options.level);
  const write = options.write ?? ((line: string, level: LogLevel) => (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const logger: Logger = {
    enabled: (level) => logLevels.indexOf(level) >= threshold,
    log(level, message, fields) {
      if (!logger.enabled(level)) return;
      const safe = fields ? redact(fields) : {};
      if (options.format === 'json') {
        write(JSON.stringify({ time: now().toISOString(), level, msg: message, ...safe }), level);
      } else {
        const extra = Object.entries(safe).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}=${textValue(v)}`).join('');
        write(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}`, level);
      }
    },
    debug: (message, fields) => logger.log('debug', message, fields),
    info: (message, fields) => logger.log('info', message, fields),
    warn: (message, fields) => logger.log('warn', message, fields),
    error: (message, fields) => logger.log('error', message, fields),
  };
  return logger;
}

/** The logger settings say: TALLY_LOG_LEVEL, TALLY_LOG_FORMAT (json unless TALLY_DEV=1, then text). */
export function loggerOptions(settings: { TALLY_LOG_LEVEL: LogLevel; TALLY_LOG_FORMAT?: LogFormat }, env: Record<string, string | undefined> = process.env): LoggerOptions {
  return { level: settings.TALLY_LOG_LEVEL, format: settings.TALLY_LOG_FORMAT ?? (env.TALLY_DEV === '1' ? 'text' : 'json') };
}

let processLogger: Logger = createLogger({ level: 'info', format: 'json' });

/** The process's logger (set once at a worker's or API's start from its environment). */
export function log(): Logger {
  return processLogger;
}

export function setProcessLogger(logger: Logger): void {
  processLogger = logger;
}
