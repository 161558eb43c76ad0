import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Link, Span } from '@opentelemetry/api';
import { emitException } from './emitters.ts';
import { RolloutScope, getRolloutScope, setRolloutScope } from './rollout-scope.ts';
import { AGL_TRACER_NAME } from './tracer-name.ts';

/** Span name of the root span of a rollout's attempt. */
export const AGL_ROLLOUT_SPAN = 'agentlightning.rollout';
/** Attribute of the rollout span: the rollout's mode (`train`, `val`, `test`), when known. */
export const AGL_ROLLOUT_MODE = 'agentlightning.rollout.mode';

/** Which rollout and attempt {@link traceRollout} runs. */
export interface TraceRolloutOptions {
  rolloutId: string;
  attemptId: string;
  /** The sequence id of the attempt's first span. @default 1 */
  firstSequenceId?: number;
  /** More attributes of the rollout span. @default none */
  attributes?: Attributes;
  /** The rollout span's name. @default `agentlightning.rollout` */
  spanName?: string;
}

/**
 * Runs `fn` as one attempt of a rollout: in a context carrying a {@link RolloutScope} (so every
 * span started inside, by any library, gets the rollout's ids from the `RolloutSpanProcessor`),
 * under a rollout span that starts a new trace (linked to the span active at the call, if any).
 * A throw is recorded as an `agentlightning.exception` span (and on the rollout span, status
 * ERROR) and rethrown.
 */
export async function traceRollout<R>(options: TraceRolloutOptions, fn: (span: Span, scope: RolloutScope) => Promise<R> | R): Promise<R> {
  const scope = new RolloutScope(options.rolloutId, options.attemptId, options.firstSequenceId ?? 1);
  const active = context.active();
  const caller = trace.getSpan(active);
  const links: Link[] = caller ? [{ context: caller.spanContext() }] : [];
  const rolloutContext = setRolloutScope(active, scope);
  const tracer = trace.getTracer(AGL_TRACER_NAME);
  return tracer.startActiveSpan(options.spanName ?? AGL_ROLLOUT_SPAN, { root: true, links, attributes: options.attributes }, rolloutContext, async (span) => {
    try {
      const result = await fn(span, scope);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      emitException(error);
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The ids of the rollout the current async context runs in, if any. */
export function currentRollout(): { rolloutId: string; attemptId: string } | undefined {
  const scope = getRolloutScope(context.active());
  return scope ? { rolloutId: scope.rolloutId, attemptId: scope.attemptId } : undefined;
}
