import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The span contexts of the spans {@link sendOfficialSpans} sent. */
export interface OfficialSpanIds {
  root: SpanContext;
  child: SpanContext;
  other: SpanContext;
}

/**
 * Makes three spans with the official OpenTelemetry JS SDK and sends them through `exporter`:
 * `other-<tag>`; `root-<tag>` (SERVER, typed attributes, an event, a link to `other`, ERROR
 * status); `child-<tag>` (CLIENT, child of root, its own rollout id). The resource holds
 * `svc-<tag>`, `ro-<tag>`, `at-<tag>` and `extraResource`; the scope is `scope-<tag>` 1.2.3.
 */
export async function sendOfficialSpans(exporter: SpanExporter, tag: string, extraResource: Attributes = {}): Promise<OfficialSpanIds> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': `svc-${tag}`,
      'agentlightning.rollout_id': `ro-${tag}`,
      'agentlightning.attempt_id': `at-${tag}`,
      ...extraResource,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer(`scope-${tag}`, '1.2.3');
  const other = tracer.startSpan(`other-${tag}`, { startTime: [1_700_000_000, 1] });
  other.end([1_700_000_000, 2]);
  const root = tracer.startSpan(`root-${tag}`, {
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: {
      's': 'text',
      'i': 42,
      'neg': -7,
      'f': 2.5,
      'b': true,
      'strings': ['a', 'b'],
      'numbers': [1, 2, 3],
      'agentlightning.span_sequence_id': 3,
    },
    links: [{ context: other.spanContext(), attributes: { 'link.kind': 'follows' } }],
  });
  root.addEvent('checkpoint', { step: 1, note: 'halfway' }, [1_700_000_000, 500_000_001]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'it failed' });
  const child = tracer.startSpan(
    `child-${tag}`,
    { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 200_000_000], attributes: { 'agentlightning.rollout_id': `ro-child-${tag}` } },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.end([1_700_000_000, 300_000_999]);
  root.end([1_700_000_001, 987_654_321]);
  await provider.forceFlush();
  await provider.shutdown();
  return { root: root.spanContext(), child: child.spanContext(), other: other.spanContext() };
}
