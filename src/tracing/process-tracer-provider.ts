import type { Context, Span, SpanOptions, Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * The tracer provider that {@link OtelTracer} registers as the process's global OpenTelemetry
 * provider, once, and never unregisters. Its tracers forward every span to the provider of the
 * tracing setup active at the time the span starts ({@link ProcessTracerProvider.setDelegate}),
 * and to a provider that exports nothing while none is.
 *
 * Why not register each setup's provider directly: a library or agent that keeps a tracer from
 * `trace.getTracer(...)` in a module-level constant (the usual OpenTelemetry pattern) holds the
 * provider's own tracer from then on; once that setup is shut down and another one registered
 * (a second `Trainer.fit` in the same process) the constant would still point at the dead
 * provider and record nothing. A tracer of this provider outlives every setup.
 */
export class ProcessTracerProvider implements TracerProvider {
  #delegate: TracerProvider | undefined;
  /** Creates spans that go nowhere while no setup is active (they still carry valid ids for propagation). */
  readonly #idle: TracerProvider = new BasicTracerProvider();
  readonly #tracers = new Map<string, Tracer>();

  /** A tracer that forwards to the active setup's tracer of the same name, version and schema URL. */
  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.#tracers.get(key);
    if (!tracer) {
      tracer = new ForwardingTracer(() => (this.#delegate ?? this.#idle).getTracer(name, version, options));
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }

  /** The provider spans started from now on go to; `undefined` while no setup is active. */
  get delegate(): TracerProvider | undefined {
    return this.#delegate;
  }

  /** Sends spans started from now on to `provider` (`undefined`: to nowhere). */
  setDelegate(provider: TracerProvider | undefined): void {
    this.#delegate = provider;
  }
}

/** A tracer that looks its target up at every span start. */
class ForwardingTracer implements Tracer {
  readonly #current: () => Tracer;

  constructor(current: () => Tracer) {
    this.#current = current;
  }

  startSpan(name: string, options?: SpanOptions, context?: Context): Span {
    return this.#current().startSpan(name, options, context);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan(...args: unknown[]): unknown {
    const tracer = this.#current();
    // The overloads are resolved by the target from the arguments as given.
    return (tracer.startActiveSpan as (...forwarded: unknown[]) => unknown).apply(tracer, args);
  }
}
