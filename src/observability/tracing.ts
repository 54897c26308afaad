/**
 * OpenTelemetry tracing, off unless the standard variables ask for it: OTEL_TRACES_EXPORTER (`otlp`,
 * `console`; `none` keeps it off) or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The OTLP exporter reads the rest of its OTEL_EXPORTER_OTLP_*
 * variables itself, the batch processor its OTEL_BSP_* ones. Started once per process, before its
 * Temporal client and worker are made: they take their interceptors from here.
 */
import { context, propagation, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

interface TracingState {
  provider: BasicTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
}

let state: TracingState | undefined;

/** Which exporter the environment asks for; null when tracing stays off. */
export function tracesExporter(env: Record<string, string | undefined>): 'otlp' | 'console' | null {
  const named = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (named === 'none') return null;
  if (named === 'console') return 'console';
  if (named === 'otlp') return 'otlp';
  if (named) throw new Error(`invalid environment: OTEL_TRACES_EXPORTER: expected otlp, console or none, got '${env.OTEL_TRACES_EXPORTER}'`);
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
}

/** Starts tracing if the environment asks for it; `serviceName` unless OTEL_SERVICE_NAME says otherwise. */
export function startTracing(serviceName: string, env: Record<string, string | undefined> = process.env): boolean {
  if (state) return true;
  const exporter = tracesExporter(env);
  if (!exporter) return false;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || serviceName });
  const processor = new BatchSpanProcessor(exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
  state = { provider, processor, resource };
  return true;
}

export function tracingEnabled(): boolean {
  return state !== undefined;
}

/** Sends what is buffered and stops; tracing is off afterwards. */
export async function stopTracing(): Promise<void> {
  const stopping = state;
  state = undefined;
  if (!stopping) return;
  await stopping.provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/** The Temporal client's interceptors: a start or signal carries the caller's trace into the workflow. */
export function clientTracingInterceptors(): WorkflowClientInterceptor[] {
  return state ? [new OpenTelemetryWorkflowClientInterceptor()] : [];
}

/** The worker's activity interceptors (a span per activity, child of the workflow's). */
export function workerTracingInterceptors(): WorkerInterceptors {
  return state
    ? { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })] }
    : {};
}

/**
 * The sink the workflow interceptors (always in the bundle: `workflows/tracing-interceptors.ts`) hand
 * their spans to; with tracing off it drops them.
 */
export function workflowSpanSinks(): InjectedSinks<Record<string, never>> {
  const processor = state?.processor ?? new NoopSpanProcessor();
  const resource = state?.resource ?? new Resource({});
  return { exporter: makeWorkflowExporter(processor, resource) } as unknown as InjectedSinks<Record<string, never>>;
}

/** Runs `work` in a span of its own when tracing is on (and as it is, without a span, when it is off). */
export async function inSpan<T>(name: string, attributes: Record<string, string>, work: () => Promise<T>): Promise<T> {
  if (!state) return work();
  return trace.getTracer('tally').startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      return await work();
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}
