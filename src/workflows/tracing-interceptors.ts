/**
 * Not a workflow: the OpenTelemetry workflow interceptors, bundled with the workflows (a span per
 * workflow run, signal and query, activities' headers carrying the trace). They add headers only, never
 * commands, so histories replay as before; their spans go to the worker's `exporter` sink.
 */
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
