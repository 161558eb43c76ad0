/**
 * Spans made by the official OpenTelemetry JS SDK, serialised by its own OTLP serialisers
 * (protobuf and JSON), must decode into records that carry every field unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind as ApiSpanKind, SpanStatusCode, TraceFlags, createTraceState, trace } from '@opentelemetry/api';
import type { HrTime, SpanContext } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeTracesJson, decodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { SpanRecord } from '../../src/spans/index.ts';

const BASE_SECONDS = 1_763_000_000;

/** An HrTime with nanoseconds that a millisecond clock could not produce. */
function hrTime(offsetNanos: number): HrTime {
  return [BASE_SECONDS + Math.floor(offsetNanos / 1e9), 123_456_789 + (offsetNanos % 1e9)];
}

function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** Runs a small agent-shaped trace through the SDK and returns the finished spans. */
async function recordSdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(
      {
        'service.name': 'room-selector',
        'service.instance.id': 'worker-7',
        'agentlightning.rollout_id': 'ro-123',
        'process.pid': 4242,
        'host.arch.bits': 64.5,
      },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
    ),
    spanLimits: { attributeCountLimit: 12 },
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const agentTracer = provider.getTracer('agentlightning', '0.3.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' });
  const llmTracer = provider.getTracer('openai-instrumentation');

  const remoteParent: SpanContext = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('agl=1,vendor=abc'),
  };
  const root = agentTracer.startSpan(
    'agentlightning.rollout',
    {
      kind: ApiSpanKind.SERVER,
      startTime: hrTime(0),
      attributes: {
        'agentlightning.attempt_id': 'at-1',
        'agentlightning.span_sequence_id': 0,
        'gen_ai.request.temperature': 0.25,
        'is.training': true,
        'tags': ['apo', 'beam'],
        'scores': [0.5, 1.25],
        'token.counts': [1, 2, 3],
        'flags.list': [true, false],
        'big.safe': Number.MAX_SAFE_INTEGER,
        'negative': -42,
      },
      links: [
        {
          context: { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: TraceFlags.NONE, traceState: createTraceState('k=v') },
          attributes: { 'link.reason': 'retry', 'link.count': 2 },
        },
      ],
    },
    trace.setSpanContext(ROOT_CONTEXT, remoteParent),
  );
  root.addEvent('rollout.started', { 'task.id': 'task-9', 'task.index': 3 }, hrTime(1_000));
  root.addEvent('empty.event', hrTime(2_000));
  root.setStatus({ code: SpanStatusCode.OK });

  const child = llmTracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: ApiSpanKind.CLIENT,
      startTime: hrTime(5_000),
      attributes: Object.fromEntries(Array.from({ length: 14 }, (_, index) => [`attribute.${index}`, `value ${index}`])),
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.recordException(new Error('rate limited'), hrTime(6_000));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 429' });
  child.end(hrTime(999_999_999));

  const internal = agentTracer.startSpan('reward', { startTime: hrTime(7_000) }, trace.setSpan(ROOT_CONTEXT, root));
  internal.setAttribute('agentlightning.reward.0.value', 0.875);
  internal.end(hrTime(8_000));

  for (const kind of [ApiSpanKind.PRODUCER, ApiSpanKind.CONSUMER]) {
    agentTracer.startSpan(`queue ${kind}`, { kind, startTime: hrTime(9_000) }, trace.setSpan(ROOT_CONTEXT, root)).end(hrTime(9_500));
  }
  root.end(hrTime(2_000_000_001));

  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/**
 * Wraps a span to give it another instrumentation scope, e.g. one carrying attributes (the API
 * cannot set them yet). The SDK's protobuf serialiser groups spans by scope object identity, so
 * pass the same `scope` object for spans that belong together.
 */
function withScope(span: ReadableSpan, scope: ReadableSpan['instrumentationScope']): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: scope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Wraps a span to give it attribute values the SDK's attribute API refuses (bytes, maps). */
function withRichAttributes(span: ReadableSpan): ReadableSpan {
  const attributes = {
    ...span.attributes,
    'payload.bytes': new Uint8Array([0, 1, 2, 253, 254, 255]),
    'payload.map': { model: 'gpt-4o', usage: { input: 12, output: 3.5 }, ok: true, list: ['a', 1] },
  };
  // The serialiser encodes these fine; only the API's attribute type leaves them out.
  return { ...withScope(span, span.instrumentationScope), attributes: attributes as unknown as ReadableSpan['attributes'] };
}

function expectedFlags(context: SpanContext | undefined, traceFlags: number): number {
  return (traceFlags & 0xff) | 0x100 | (context?.isRemote ? 0x200 : 0);
}

function assertSpanMatches(record: SpanRecord, span: ReadableSpan, scopeAttributes: Record<string, unknown>): void {
  const context = span.spanContext();
  assert.equal(record.traceId, context.traceId);
  assert.equal(record.spanId, context.spanId);
  assert.equal(record.parentSpanId, span.parentSpanContext?.spanId ?? null);
  assert.equal(record.traceState, context.traceState?.serialize() ?? '');
  assert.equal(record.flags, expectedFlags(span.parentSpanContext, context.traceFlags));
  assert.equal(record.name, span.name);
  assert.equal(record.kind, span.kind + 1, 'OTLP kinds are the API kinds plus one');
  assert.equal(record.startTimeUnixNano, hrTimeToNanos(span.startTime));
  assert.equal(record.endTimeUnixNano, hrTimeToNanos(span.endTime));
  assert.deepEqual(record.attributes, { ...span.attributes });
  assert.equal(record.droppedAttributesCount, span.droppedAttributesCount);
  assert.equal(record.events.length, span.events.length);
  span.events.forEach((event, index) => {
    assert.deepEqual(record.events[index], {
      timeUnixNano: hrTimeToNanos(event.time),
      name: event.name,
      attributes: { ...event.attributes },
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    });
  });
  assert.equal(record.droppedEventsCount, span.droppedEventsCount);
  assert.deepEqual(
    record.links,
    span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: { ...link.attributes },
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: expectedFlags(link.context, link.context.traceFlags),
    })),
  );
  assert.equal(record.droppedLinksCount, span.droppedLinksCount);
  assert.equal(record.statusCode, span.status.code);
  assert.equal(record.statusMessage, span.status.message ?? '');
  assert.deepEqual(record.resource, { ...span.resource.attributes });
  assert.equal(record.resourceSchemaUrl, span.resource.schemaUrl ?? '');
  assert.equal(record.scopeName, span.instrumentationScope.name);
  assert.equal(record.scopeVersion, span.instrumentationScope.version ?? '');
  assert.deepEqual(record.scopeAttributes, scopeAttributes);
}

const sdkSpans = await recordSdkSpans();
const scopeAttributes = { 'library.language': 'typescript', 'library.tier': 2 };
const agentScope = sdkSpans.find((span) => span.instrumentationScope.name === 'agentlightning')!.instrumentationScope;
const agentScopeWithAttributes = { ...agentScope, attributes: scopeAttributes } as ReadableSpan['instrumentationScope'];
const exported = sdkSpans.map((span) =>
  span.instrumentationScope === agentScope ? withScope(span, agentScopeWithAttributes) : span,
);

const decoders = [
  { format: 'protobuf', decode: () => decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(exported)!) },
  { format: 'json', decode: () => decodeTracesJson(JsonTraceSerializer.serializeRequest(exported)!) },
] as const;

for (const { format, decode } of decoders) {
  describe(`OpenTelemetry SDK ${format} export`, () => {
    it('decodes every span with every field intact', () => {
      const decoded = decode();
      assert.equal(decoded.rejectedSpans, 0);
      assert.equal(decoded.rejectionMessage, '');
      assert.equal(decoded.spans.length, sdkSpans.length);
      for (const span of exported) {
        const record = decoded.spans.find((candidate) => candidate.spanId === span.spanContext().spanId);
        assert.ok(record, `span ${span.name} is missing`);
        const expectedScopeAttributes = span.instrumentationScope.name === 'agentlightning' ? scopeAttributes : {};
        assertSpanMatches(record, span, expectedScopeAttributes);
      }
    });

    it('exercises what it claims to: remote parent, drops, all kinds, error status', () => {
      const decoded = decode();
      const root = decoded.spans.find((span) => span.name === 'agentlightning.rollout')!;
      assert.equal(root.parentSpanId, '00f067aa0ba902b7');
      assert.equal(root.flags, 0x301);
      assert.equal(root.traceState, 'agl=1,vendor=abc');
      assert.equal(root.startTimeUnixNano, 1_763_000_000_123_456_789n);
      assert.equal(root.endTimeUnixNano, 1_763_000_002_123_456_790n);
      const chat = decoded.spans.find((span) => span.name === 'chat gpt-4o-mini')!;
      assert.equal(chat.droppedAttributesCount, 2);
      assert.equal(chat.statusCode, 2);
      assert.equal(chat.events[0].name, 'exception');
      assert.deepEqual(new Set(decoded.spans.map((span) => span.kind)), new Set([1, 2, 3, 4, 5]));
    });

    it('shares one resource object and one scope-attributes object between spans', () => {
      const decoded = decode();
      const first = decoded.spans[0];
      for (const span of decoded.spans) assert.equal(span.resource, first.resource);
      const agentSpans = decoded.spans.filter((span) => span.scopeName === 'agentlightning');
      assert.ok(agentSpans.length > 1);
      for (const span of agentSpans) assert.equal(span.scopeAttributes, agentSpans[0].scopeAttributes);
      assert.equal(agentSpans[0].resourceSchemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
    });
  });
}

describe('OpenTelemetry SDK export with bytes and map attribute values', () => {
  const rich = withRichAttributes(sdkSpans[0]);
  const expected = {
    ...sdkSpans[0].attributes,
    'payload.bytes': new Uint8Array([0, 1, 2, 253, 254, 255]),
    'payload.map': { model: 'gpt-4o', usage: { input: 12, output: 3.5 }, ok: true, list: ['a', 1] },
  };
  it('decodes protobuf bytesValue and kvlistValue', () => {
    const decoded = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest([rich])!);
    assert.deepEqual(decoded.spans[0].attributes, expected);
  });
  it('decodes JSON base64 bytesValue and kvlistValue', () => {
    const decoded = decodeTracesJson(JsonTraceSerializer.serializeRequest([rich])!);
    assert.deepEqual(decoded.spans[0].attributes, expected);
  });
  it('gives the same records from both encodings', () => {
    const fromProtobuf = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(exported)!);
    const fromJson = decodeTracesJson(JsonTraceSerializer.serializeRequest(exported)!);
    assert.deepEqual(fromJson, fromProtobuf);
  });
});
