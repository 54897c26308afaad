import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * The Temporal SDK's warnings and errors only: its info lines (every worker's state changes) would bury a
 * failure's own output. Once per process (per test file under Jest), before the first worker starts.
 */
export function quietSdkLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already (by an earlier call, or a worker started first): the first choice stays.
  }
}
