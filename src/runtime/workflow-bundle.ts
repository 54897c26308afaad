/**
 * The workflow code bundle a worker runs, built once per process, or once ahead: TALLY_WORKFLOW_BUNDLE names
 * a file holding the `code` of a bundle built from the same sources (the tests build one for all their
 * workers). Webpack's report of a successful build (every module by path, some twenty lines at each start)
 * is left out of the log; its warnings and errors are not, and a failed build still fails the worker's start.
 */
import { bundleWorkflowCode, type Logger, type LogLevel, type LogMetadata, type WorkflowBundle, type WorkflowBundleOption } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');
/** The OpenTelemetry workflow interceptors, always in the bundle; their spans are dropped while tracing is off. */
export const workflowInterceptorModules = [require.resolve('../workflows/tracing-interceptors')];

function print(level: LogLevel, message: string, meta?: LogMetadata): void {
  const line = `${new Date().toISOString()} [${level}] ${message}${meta && Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : ''}`;
  if (level === 'ERROR') console.error(line);
  else console.warn(line);
}

/** Warnings and errors only; webpack reports its build warnings at info level, inside its build report. */
export const bundleLogger: Logger = {
  log(level, message, meta) {
    if (level === 'WARN' || level === 'ERROR') print(level, message, meta);
    else if (level === 'INFO' && /\bWARNING\b/.test(message)) print('WARN', message, meta);
  },
  trace: () => undefined,
  debug: () => undefined,
  info(message, meta) {
    this.log('INFO', message, meta);
  },
  warn(message, meta) {
    this.log('WARN', message, meta);
  },
  error(message, meta) {
    this.log('ERROR', message, meta);
  },
};

/** The environment variable naming a prebuilt bundle's code file. */
export const WORKFLOW_BUNDLE_ENV = 'TALLY_WORKFLOW_BUNDLE';

let built: Promise<WorkflowBundle> | undefined;

export function buildWorkflowBundle(): Promise<WorkflowBundle> {
  built ??= bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: bundleLogger }).catch((e: unknown) => {
    built = undefined;
    throw e;
  });
  return built;
}

export async function tallyWorkflowBundle(env: Record<string, string | undefined> = process.env): Promise<WorkflowBundleOption> {
  const prebuilt = env[WORKFLOW_BUNDLE_ENV];
  return prebuilt ? { codePath: prebuilt } : buildWorkflowBundle();
}
