/**
 * The workflow code bundle a worker runs, built once per process, or once ahead: TALLY_WORKFLOW_BUNDLE names
 * a file holding the `code` of a bundle built from the same sources (the tests build one for all their
 * workers). Webpack's report of a successful build (every module by path, some twenty lines at each start)
 * is left out of the log; its warnings and errors are not, and a failed build still fails the worker's start.
 */
import { bundleWorkflowCode, type Logger, type LogLevel, type LogMetadata, type WorkflowBundle, type WorkflowBundleOption } from '@temporalio/worker';

export const workflowsPath = require.resolve('../workflows');
/**
 * The OpenTelemetry workflow interceptors: in the bundle when tracing is on. Every workflow a worker starts
 * loads its bundle's modules, so a worker that doesn't trace leaves them out. They add headers, never
 * commands: a history replays the same with or without them.
 */
export const workflowInterceptorModules = [require.resolve('../workflows/tracing-interceptors')];
/** Loaded once per reusable V8 context and shared by its workflows (see the module). */
export const preloadedWorkflowModules = [require.resolve('../workflows/preloaded')];

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

const built = new Map<boolean, Promise<WorkflowBundle>>();

/** The bundle, with the tracing interceptors when `tracing`. */
export function buildWorkflowBundle(options: { tracing: boolean }): Promise<WorkflowBundle> {
  let bundle = built.get(options.tracing);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: options.tracing ? workflowInterceptorModules : [],
      preloadModules: preloadedWorkflowModules,
      logger: bundleLogger,
    });
    built.set(options.tracing, bundle);
    bundle.catch(() => built.delete(options.tracing));
  }
  return bundle;
}

/** A prebuilt bundle (TALLY_WORKFLOW_BUNDLE: the tests' has the tracing interceptors), or one built here. */
export async function tallyWorkflowBundle(options: { tracing: boolean }, env: Record<string, string | undefined> = process.env): Promise<WorkflowBundleOption> {
  const prebuilt = env[WORKFLOW_BUNDLE_ENV];
  return prebuilt ? { codePath: prebuilt } : buildWorkflowBundle(options);
}
