/**
 * What an operator watches of a long-running Tally process, wired at its start: the logger its settings
 * ask for, tracing if the OTEL_* variables ask for it (before its Temporal client is made), the
 * repository gauges its metrics endpoint reads at scrape time.
 */
import { operatorGaugeValues } from '../admin/operator-gauges';
import { setRepositoryGaugeSource } from '../observability/metrics';
import { createLogger, loggerOptions, setProcessLogger, type Logger } from '../observability/logger';
import { startTracing } from '../observability/tracing';
import type { Services } from './services';
import type { Settings } from './settings';

export function beginObservability(serviceName: string, settings: Settings, env: Record<string, string | undefined> = process.env): Logger {
  const logger = createLogger(loggerOptions(settings, env));
  setProcessLogger(logger);
  if (startTracing(serviceName, env)) logger.info('tracing on: spans exported as the OTEL_* variables say', { service: env.OTEL_SERVICE_NAME || serviceName });
  return logger;
}

/** The repository gauges (pending operations, held changes, run progress ...) read through these services. */
export function observeRepository(services: Services): void {
  setRepositoryGaugeSource(() => operatorGaugeValues(services));
}
