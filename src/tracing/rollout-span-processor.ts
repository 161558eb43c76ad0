import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { AGL_ATTEMPT_ID, AGL_ROLLOUT_ID, AGL_SPAN_SEQUENCE_ID } from '../semconv/index.ts';
import { getRolloutScope } from './rollout-scope.ts';
import type { RolloutScope } from './rollout-scope.ts';

/**
 * Stamps `agentlightning.rollout_id`, `agentlightning.attempt_id` and an increasing
 * `agentlightning.span_sequence_id` on every span started inside a rollout, whatever library
 * starts it.
 *
 * The rollout comes from the {@link RolloutScope} in the span's parent context (set by the rollout
 * wrapper with `context.with(...)`), so concurrent rollouts in one process never mix as long as
 * the context manager follows async work (`AsyncLocalStorageContextManager`). A span started in a
 * context without the scope (a library that builds its own context from a parent span) still
 * gets the ids when its trace is a rollout's trace that is still open: the rollout span starts a
 * new trace, and the processor remembers which scope each open rollout trace belongs to.
 *
 * Spans outside any rollout are left as they are. Add this processor before the exporting one.
 */
export class RolloutSpanProcessor implements SpanProcessor {
  /** Open rollout traces: trace id → scope, with the number of spans of the trace still open. */
  readonly #traces = new Map<string, { scope: RolloutScope; open: number }>();

  onStart(span: Span, parentContext: Context): void {
    const traceId = span.spanContext().traceId;
    let scope = getRolloutScope(parentContext);
    const known = this.#traces.get(traceId);
    if (!scope) scope = known?.scope;
    if (!scope) return;
    span.setAttribute(AGL_ROLLOUT_ID, scope.rolloutId);
    span.setAttribute(AGL_ATTEMPT_ID, scope.attemptId);
    span.setAttribute(AGL_SPAN_SEQUENCE_ID, scope.takeSequenceId());
    if (known && known.scope === scope) known.open++;
    else if (!known) this.#traces.set(traceId, { scope, open: 1 });
  }

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const known = this.#traces.get(traceId);
    if (!known || span.attributes[AGL_ROLLOUT_ID] !== known.scope.rolloutId || span.attributes[AGL_ATTEMPT_ID] !== known.scope.attemptId) return;
    if (--known.open <= 0) this.#traces.delete(traceId);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.#traces.clear();
    return Promise.resolve();
  }
}
