import { context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Tracer as ApiTracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { BufferConfig, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { SERVICE_NAME } from '../semconv/index.ts';
import { RolloutSpanProcessor } from './rollout-span-processor.ts';
import { AGL_TRACER_NAME } from './tracer-name.ts';


/** Options of {@link setupTracing} and {@link OtelTracer}. */
export interface OtelTracerOptions {
  /**
   * Where spans go: the collector's base URL (`http://127.0.0.1:4318`, `/v1/traces` is appended)
   * or a full URL ending in `/v1/traces`.
   * @default `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (as is), else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://127.0.0.1:4318/v1/traces`
   */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <token>` (the collector's `--token`). @default `AGL_TOKEN` when set */
  token?: string;
  /** More HTTP headers for the exporter. @default none */
  headers?: Record<string, string>;
  /** The resource's `service.name`. @default `OTEL_SERVICE_NAME`, else `agentlightning-agent` */
  serviceName?: string;
  /** More resource attributes. @default none */
  resourceAttributes?: Attributes;
  /**
   * Export with this exporter instead of the OTLP/protobuf one (e.g. an `InMemorySpanExporter`);
   * `endpoint`, `token` and `headers` are then unused.
   * @default an `OTLPTraceExporter` from `@opentelemetry/exporter-trace-otlp-proto`
   */
  exporter?: SpanExporter;
  /** The `BatchSpanProcessor`'s settings. @default `{ scheduledDelayMillis: 1000 }`, the rest OpenTelemetry's defaults */
  batch?: BufferConfig;
  /** More span processors, run after the rollout processor and before the batch processor. @default none */
  spanProcessors?: SpanProcessor[];
  /**
   * Register the provider, an `AsyncLocalStorageContextManager` and the W3C propagators as the
   * process's global OpenTelemetry API implementation, so that spans from any library (through
   * `@opentelemetry/api`) are stamped and exported. Registration happens once per process: a
   * second registered tracer is refused until the first is shut down.
   * @default true
   */
  registerGlobal?: boolean;
}

let globalOwner: OtelTracer | undefined;

/**
 * The tracing setup of an agent process: a `NodeTracerProvider` with the {@link RolloutSpanProcessor}
 * (rollout ids on every span started inside a rollout) and a `BatchSpanProcessor` exporting over
 * OTLP/protobuf to the collector. Call {@link OtelTracer.forceFlush} before telling the store an
 * attempt is over (so its spans, and its reward, are stored first) and {@link OtelTracer.shutdown}
 * at exit.
 */
export class OtelTracer {
  /** The provider; add it to instrumentations that take an explicit provider. */
  readonly provider: NodeTracerProvider;
  /** The traces URL spans are exported to (undefined with a custom exporter). */
  readonly endpoint: string | undefined;
  readonly #registered: boolean;
  #ownsContextManager = false;
  #ownsPropagator = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: OtelTracerOptions = {}) {
    const registerGlobal = options.registerGlobal ?? true;
    if (registerGlobal && globalOwner) {
      throw new Error('A global OtelTracer is already set up in this process; shut it down first, or pass `registerGlobal: false`');
    }
    let exporter = options.exporter;
    if (!exporter) {
      this.endpoint = resolveTracesEndpoint(options.endpoint);
      const token = options.token ?? process.env.AGL_TOKEN;
      const headers: Record<string, string> = { ...options.headers };
      if (token) headers.Authorization = `Bearer ${token}`;
      exporter = new OTLPTraceExporter({ url: this.endpoint, headers });
    }
    const serviceName = options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'agentlightning-agent';
    this.provider = new NodeTracerProvider({
      resource: defaultResource().merge(resourceFromAttributes({ ...options.resourceAttributes, [SERVICE_NAME]: serviceName })),
      spanProcessors: [
        new RolloutSpanProcessor(),
        ...(options.spanProcessors ?? []),
        new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000, ...options.batch }),
      ],
    });
    this.#registered = registerGlobal;
    if (registerGlobal) {
      if (!trace.setGlobalTracerProvider(this.provider)) {
        throw new Error('Another OpenTelemetry tracer provider is registered globally: add a `RolloutSpanProcessor` to it, or pass `registerGlobal: false`');
      }
      const contextManager = new AsyncLocalStorageContextManager().enable();
      // An application that registered its own context manager keeps it (it must follow async work for rollouts not to mix).
      this.#ownsContextManager = context.setGlobalContextManager(contextManager);
      if (!this.#ownsContextManager) contextManager.disable();
      this.#ownsPropagator = propagation.setGlobalPropagator(
        new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
      );
      globalOwner = this;
    }
  }

  /** A tracer of this provider. @param name the instrumentation scope @default `agentlightning` */
  getTracer(name = AGL_TRACER_NAME, version?: string): ApiTracer {
    return this.provider.getTracer(name, version);
  }

  /** Exports every span ended so far; resolves when the collector has acknowledged them. */
  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Flushes, shuts the provider down and, when registered, unregisters the global API. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      try {
        await this.provider.shutdown();
      } finally {
        if (this.#registered && globalOwner === this) {
          trace.disable();
          if (this.#ownsContextManager) context.disable();
          if (this.#ownsPropagator) propagation.disable();
          globalOwner = undefined;
        }
      }
    })();
    return this.#shutdown;
  }
}

/** Sets up tracing for an agent process: see {@link OtelTracer}. */
export function setupTracing(options: OtelTracerOptions = {}): OtelTracer {
  return new OtelTracer(options);
}

/** The traces URL from an explicit endpoint, else the standard environment variables. */
export function resolveTracesEndpoint(endpoint?: string): string {
  if (endpoint !== undefined) {
    if (!/^https?:\/\//.test(endpoint)) throw new TypeError(`Expected \`endpoint\` to be an http(s) URL, got \`${endpoint}\``);
    return /\/v1\/traces\/?$/.test(endpoint) ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  }
  const traces = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const base = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base) return `${base.replace(/\/+$/, '')}/v1/traces`;
  return 'http://127.0.0.1:4318/v1/traces';
}
