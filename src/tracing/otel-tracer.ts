import { context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Tracer as ApiTracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { BufferConfig, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { SERVICE_NAME } from '../semconv/index.ts';
import { ProcessTracerProvider } from './process-tracer-provider.ts';
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
   * Make this setup the process's global OpenTelemetry implementation, so that spans from any
   * library (through `@opentelemetry/api`) are stamped and exported. The first such setup in a
   * process registers a {@link ProcessTracerProvider}, an `AsyncLocalStorageContextManager` and the
   * W3C propagators as the global API, once; they stay registered, and forward to whichever setup
   * is active, so tracers kept from `trace.getTracer(...)` keep working across setups (two
   * `Trainer.fit` calls in one process).
   *
   * While a global setup is active, another one **joins** it (see {@link OtelTracer.joined}): it
   * shares its provider and exporter, and the setup ends when the last of them is shut down. An
   * agent module that calls `setupTracing()` under `agl runner` or a `Trainer` thus joins theirs.
   * A joining call's own `endpoint`, `serviceName`, `resourceAttributes`, `exporter` and
   * `spanProcessors` are not applied (a process warning says so); `token`, `headers` and `batch`
   * follow the active setup.
   * @default true
   */
  registerGlobal?: boolean;
}

/** A provider with its exporter, shared by the {@link OtelTracer}s that joined it. */
interface TracingSetup {
  readonly provider: NodeTracerProvider;
  readonly endpoint: string | undefined;
  readonly serviceName: string;
  /** Handles not yet shut down. */
  references: number;
}

/** What is registered once per process: the global provider and the setup it forwards to. */
interface ProcessTracing {
  readonly provider: ProcessTracerProvider;
  active: TracingSetup | undefined;
}

// Kept on globalThis (like the OpenTelemetry API's own registry) so that two copies of this module
// in one process (the CLI's and an agent's import of the package) share one setup.
const PROCESS_TRACING = Symbol.for('agentlightning-ts.tracing.process');
type GlobalWithTracing = typeof globalThis & { [PROCESS_TRACING]?: ProcessTracing };

/** The process's global registration, made on first use. */
function processTracing(): ProcessTracing {
  const holder = globalThis as GlobalWithTracing;
  const existing = holder[PROCESS_TRACING];
  if (existing) return existing;
  const provider = new ProcessTracerProvider();
  if (!trace.setGlobalTracerProvider(provider)) {
    throw new Error('Another OpenTelemetry tracer provider is registered globally: add a `RolloutSpanProcessor` to it, or pass `registerGlobal: false`');
  }
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // An application that registered its own context manager keeps it (it must follow async work for rollouts not to mix).
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const created: ProcessTracing = { provider, active: undefined };
  holder[PROCESS_TRACING] = created;
  return created;
}

/**
 * The tracing setup of an agent process: a `NodeTracerProvider` with the {@link RolloutSpanProcessor}
 * (rollout ids on every span started inside a rollout) and a `BatchSpanProcessor` exporting over
 * OTLP/protobuf to the collector. Call {@link OtelTracer.forceFlush} before telling the store an
 * attempt is over (so its spans, and its reward, are stored first) and {@link OtelTracer.shutdown}
 * at exit. Several setups in one process join the active one (`registerGlobal`).
 */
export class OtelTracer {
  /**
   * The provider of this setup (shared when {@link OtelTracer.joined}); give it to instrumentations
   * that take an explicit provider. It records nothing once the setup has ended: an instrumentation
   * that outlives one setup should use the global API (`trace.getTracerProvider()`) instead.
   */
  readonly provider: NodeTracerProvider;
  /** The traces URL spans are exported to (undefined with a custom exporter). */
  readonly endpoint: string | undefined;
  /** True when this handle joined a global setup that was already active, whose options apply. */
  readonly joined: boolean;
  readonly #setup: TracingSetup;
  readonly #registered: boolean;
  #shutdown: Promise<void> | undefined;

  constructor(options: OtelTracerOptions = {}) {
    this.#registered = options.registerGlobal ?? true;
    const registration = this.#registered ? processTracing() : undefined;
    const active = registration?.active;
    if (active) {
      warnUnapplied(options, active);
      active.references++;
      this.#setup = active;
      this.joined = true;
    } else {
      this.#setup = createSetup(options);
      this.joined = false;
      if (registration) {
        registration.active = this.#setup;
        registration.provider.setDelegate(this.#setup.provider);
      }
    }
    this.provider = this.#setup.provider;
    this.endpoint = this.#setup.endpoint;
  }

  /** A tracer of this provider. @param name the instrumentation scope @default `agentlightning` */
  getTracer(name = AGL_TRACER_NAME, version?: string): ApiTracer {
    return this.provider.getTracer(name, version);
  }

  /** Exports every span ended so far; resolves when the collector has acknowledged them. */
  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /**
   * Flushes; the last handle of a setup also shuts its provider down and detaches it from the
   * global API, which stays registered (spans started afterwards go nowhere until another setup).
   * Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      const setup = this.#setup;
      setup.references--;
      if (setup.references > 0) {
        await setup.provider.forceFlush();
        return;
      }
      const registration = this.#registered ? (globalThis as GlobalWithTracing)[PROCESS_TRACING] : undefined;
      if (registration?.active === setup) {
        registration.active = undefined;
        registration.provider.setDelegate(undefined);
      }
      await setup.provider.shutdown();
    })();
    return this.#shutdown;
  }
}

/** A new provider, exporter and processors from `options`. */
function createSetup(options: OtelTracerOptions): TracingSetup {
  let exporter = options.exporter;
  let endpoint: string | undefined;
  if (!exporter) {
    endpoint = resolveTracesEndpoint(options.endpoint);
    const token = options.token ?? process.env.AGL_TOKEN;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    exporter = new OTLPTraceExporter({ url: endpoint, headers });
  }
  const serviceName = resolveServiceName(options.serviceName);
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...options.resourceAttributes, [SERVICE_NAME]: serviceName })),
    spanProcessors: [
      new RolloutSpanProcessor(),
      ...(options.spanProcessors ?? []),
      new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000, ...options.batch }),
    ],
  });
  return { provider, endpoint, serviceName, references: 1 };
}

function resolveServiceName(serviceName: string | undefined): string {
  return serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'agentlightning-agent';
}

/** Says which of a joining call's explicit options the active setup does not honour. */
function warnUnapplied(options: OtelTracerOptions, active: TracingSetup): void {
  const unapplied: string[] = [];
  if (options.endpoint !== undefined && resolveTracesEndpoint(options.endpoint) !== active.endpoint) unapplied.push(`endpoint ${options.endpoint}`);
  if (options.serviceName !== undefined && options.serviceName !== active.serviceName) unapplied.push(`serviceName ${options.serviceName}`);
  if (options.exporter) unapplied.push('exporter');
  if (options.resourceAttributes && Object.keys(options.resourceAttributes).length > 0) unapplied.push('resourceAttributes');
  if (options.spanProcessors && options.spanProcessors.length > 0) unapplied.push('spanProcessors');
  if (unapplied.length === 0) return;
  process.emitWarning(
    `setupTracing() joined the tracing setup already active in this process (exporting to ${active.endpoint ?? 'a custom exporter'}, ` +
      `service ${active.serviceName}); not applied: ${unapplied.join(', ')}. Pass \`registerGlobal: false\` for a separate setup.`,
    { type: 'AglTracingWarning', code: 'AGL_TRACING_JOINED' },
  );
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
