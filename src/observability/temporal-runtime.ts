/**
 * The Temporal SDK's runtime, installed once per process before its first worker or native connection:
 * its log lines go to Tally's logger, and its own metrics (task slots, poll success, schedule-to-start
 * latency ...) to a Prometheus endpoint when an address is given.
 */
import { Runtime, type LogLevel as SdkLogLevel, type Logger as SdkLogger, type LogMetadata } from '@temporalio/worker';
import { logLevels, type Logger, type LogLevel } from './logger';

const levels: Record<SdkLogLevel, LogLevel> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** The SDK's logger interface over Tally's logger; entries below `floor` are dropped. */
export function sdkLogger(logger: Logger, floor: LogLevel = 'trace'): SdkLogger {
  const write = (level: SdkLogLevel, message: string, meta?: LogMetadata) => {
    const ours = levels[level];
    if (logLevels.indexOf(ours) >= logLevels.indexOf(floor)) logger.log(ours, message, meta);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

export function installTemporalRuntime(options: { logger: Logger; floor?: LogLevel; metricsAddress?: string }): void {
  Runtime.install({
    logger: sdkLogger(options.logger, options.floor),
    ...(options.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsAddress } } } } : {}),
  });
}
