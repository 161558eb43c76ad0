import assert from 'node:assert/strict';
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

/**
 * Asserts that the rows of the spans {@link sendOfficialSpans} sent with `tag` (ordered by start
 * time: other, root, child; with `start_ns` and `end_ns` as text) hold what the SDK made: ids,
 * nanosecond times, attributes, the event, the link, status, scope and resource (with
 * `extraResource`), and the rollout ids. Returns the rows for a caller's own checks.
 */
export function assertOfficialSpansStored(
  rows: readonly Record<string, unknown>[],
  ids: OfficialSpanIds,
  tag: string,
  extraResource: Attributes = {},
): { other: Record<string, unknown>; root: Record<string, unknown>; child: Record<string, unknown> } {
  assert.equal(rows.length, 3);
  const [other, root, child] = rows;
  assert.equal(root.trace_id, ids.root.traceId);
  assert.equal(root.span_id, ids.root.spanId);
  assert.equal(root.parent_span_id, null);
  assert.equal(root.name, `root-${tag}`);
  assert.equal(root.kind, 'SERVER');
  assert.equal(root.start_ns, '1700000000123456789');
  assert.equal(root.end_ns, '1700000001987654321');
  assert.equal(root.status_code, 'ERROR');
  assert.equal(root.status_message, 'it failed');
  assert.equal(root.scope_name, `scope-${tag}`);
  assert.equal(root.scope_version, '1.2.3');
  assert.deepEqual(root.attributes, {
    s: 'text',
    i: 42,
    neg: -7,
    f: 2.5,
    b: true,
    strings: ['a', 'b'],
    numbers: [1, 2, 3],
    'agentlightning.span_sequence_id': 3,
  });
  assert.deepEqual(root.events, [{ name: 'checkpoint', time_unix_nano: '1700000000500000001', attributes: { step: 1, note: 'halfway' } }]);
  const links = root.links as Record<string, unknown>[];
  assert.equal(links.length, 1);
  assert.equal(links[0].trace_id, ids.other.traceId);
  assert.equal(links[0].span_id, ids.other.spanId);
  assert.deepEqual(links[0].attributes, { 'link.kind': 'follows' });
  assert.deepEqual(root.resource, {
    'service.name': `svc-${tag}`,
    'agentlightning.rollout_id': `ro-${tag}`,
    'agentlightning.attempt_id': `at-${tag}`,
    ...extraResource,
  });
  assert.equal(root.rollout_id, `ro-${tag}`);
  assert.equal(root.attempt_id, `at-${tag}`);
  assert.equal(root.sequence_id, 3);

  assert.equal(child.parent_span_id, ids.root.spanId);
  assert.equal(child.trace_id, ids.root.traceId);
  assert.equal(child.kind, 'CLIENT');
  assert.equal(child.start_ns, '1700000000200000000');
  assert.equal(child.end_ns, '1700000000300000999');
  // A span attribute overrides the resource's rollout id.
  assert.equal(child.rollout_id, `ro-child-${tag}`);
  assert.equal(other.span_id, ids.other.spanId);
  return { other, root, child };
}
