import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { decodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpAnyValue, OtlpKeyValue } from '../../src/otlp/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import { BASE_TIME_NANOS, decode, id, request, span } from './fixtures.ts';

function attributesOf(values: Record<string, OtlpAnyValue>): OtlpKeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value }));
}

describe('decodeTracesProtobuf', () => {
  it('decodes ids as lowercase hex and times as exact nanoseconds', () => {
    const decoded = decode(
      request([
        span({
          traceId: id('ab', 16),
          spanId: id('cd', 8),
          parentSpanId: id('ef', 8),
          startTimeUnixNano: 18_446_744_073_709_551_615n,
          endTimeUnixNano: BASE_TIME_NANOS,
          flags: 0x301,
          traceState: 'a=b',
        }),
      ]),
    );
    assert.equal(decoded.rejectedSpans, 0);
    const [record] = decoded.spans;
    assert.equal(record.traceId, 'ab'.repeat(16));
    assert.equal(record.spanId, 'cd'.repeat(8));
    assert.equal(record.parentSpanId, 'ef'.repeat(8));
    assert.equal(record.startTimeUnixNano, 18_446_744_073_709_551_615n);
    assert.equal(record.endTimeUnixNano, 1_700_000_000_123_456_789n);
    assert.equal(record.flags, 0x301);
    assert.equal(record.traceState, 'a=b');
  });

  it('reads an empty or all-zero parent span id as no parent', () => {
    const decoded = decode(
      request([span({ spanId: id('01', 8) }), span({ spanId: id('02', 8), parentSpanId: new Uint8Array(8) })]),
    );
    assert.deepEqual(
      decoded.spans.map((record) => record.parentSpanId),
      [null, null],
    );
  });

  it('maps every AnyValue type', () => {
    const decoded = decode(
      request([
        span({
          attributes: attributesOf({
            string: { stringValue: 'héllo ✓' },
            emptyString: { stringValue: '' },
            true: { boolValue: true },
            false: { boolValue: false },
            int: { intValue: 42 },
            negative: { intValue: -7 },
            maxSafe: { intValue: BigInt(Number.MAX_SAFE_INTEGER) },
            beyondSafe: { intValue: 9_007_199_254_740_993n },
            minInt64: { intValue: -9_223_372_036_854_775_808n },
            maxInt64: { intValue: 9_223_372_036_854_775_807n },
            double: { doubleValue: -0.125 },
            bytes: { bytesValue: new Uint8Array([0, 255, 16]) },
            array: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, {}, { arrayValue: { values: [] } }] } },
            kvlist: {
              kvlistValue: {
                values: [
                  { key: 'nested', value: { kvlistValue: { values: [{ key: 'deep', value: { boolValue: true } }] } } },
                  { key: 'none' },
                ],
              },
            },
            empty: {},
          }),
        }),
      ]),
    );
    const attributes = decoded.spans[0].attributes;
    assert.deepEqual(attributes, {
      string: 'héllo ✓',
      emptyString: '',
      true: true,
      false: false,
      int: 42,
      negative: -7,
      maxSafe: Number.MAX_SAFE_INTEGER,
      beyondSafe: 9_007_199_254_740_993n,
      minInt64: -9_223_372_036_854_775_808n,
      maxInt64: 9_223_372_036_854_775_807n,
      double: -0.125,
      bytes: new Uint8Array([0, 255, 16]),
      array: ['a', 1, null, []],
      kvlist: { nested: { deep: true }, none: null },
      empty: null,
    });
    assert.equal(Object.getPrototypeOf(attributes.bytes), Uint8Array.prototype, 'bytes are a plain Uint8Array');
  });

  it('lets the last of repeated attribute keys win and keeps __proto__ as a plain key', () => {
    const decoded = decode(
      request([
        span({
          attributes: [
            { key: 'k', value: { stringValue: 'first' } },
            { key: '__proto__', value: { stringValue: 'not a prototype' } },
            { key: 'k', value: { stringValue: 'last' } },
          ],
        }),
      ]),
    );
    const attributes = decoded.spans[0].attributes;
    assert.equal(attributes.k, 'last');
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value, 'not a prototype');
  });

  it('drops invalid spans, counts them, names them, and keeps the valid rest in order', () => {
    const decoded = decode(
      request([
        span({ name: 'first', spanId: id('01', 8) }),
        span({ name: 'short span id', spanId: new Uint8Array([1, 2, 3, 4, 5]) }),
        span({ name: 'second', spanId: id('02', 8) }),
        span({ name: 'zero trace id', traceId: new Uint8Array(16) }),
        span({ name: 'bad parent', parentSpanId: new Uint8Array([9, 9, 9]) }),
        span({ name: 'no ids', traceId: new Uint8Array(0), spanId: new Uint8Array(0) }),
        span({ name: 'zero span id', spanId: new Uint8Array(8) }),
        span({ name: 'third', spanId: id('03', 8) }),
      ]),
    );
    assert.deepEqual(
      decoded.spans.map((record) => record.name),
      ['first', 'second', 'third'],
    );
    assert.equal(decoded.rejectedSpans, 5);
    assert.match(decoded.rejectionMessage, /span "short span id": spanId "0102030405" has 5 bytes, expected 8/);
    assert.match(decoded.rejectionMessage, /span "zero trace id": traceId 0{32} is all zeros/);
    assert.match(decoded.rejectionMessage, /parentSpanId "090909" has 3 bytes/);
    assert.match(decoded.rejectionMessage, /and 2 more$/);
  });

  it('drops links with wrong id lengths and counts them as dropped', () => {
    const decoded = decode(
      request([
        span({
          droppedLinksCount: 1,
          links: [
            { traceId: id('aa', 16), spanId: id('bb', 8), flags: 1 },
            { traceId: id('aa', 15), spanId: id('bb', 8) },
          ],
        }),
      ]),
    );
    const [record] = decoded.spans;
    assert.equal(record.links.length, 1);
    assert.equal(record.links[0].traceId, 'aa'.repeat(16));
    assert.equal(record.droppedLinksCount, 2);
  });

  it('shares the resource and scope attribute objects between spans', () => {
    const decoded = decode({
      resourceSpans: [
        {
          resource: { attributes: attributesOf({ 'service.name': { stringValue: 'a' } }) },
          schemaUrl: 'https://example.com/schema',
          scopeSpans: [
            { scope: { name: 's1', attributes: attributesOf({ x: { intValue: 1 } }) }, spans: [span(), span()] },
            { scope: { name: 's2' }, spans: [span()] },
          ],
        },
        { scopeSpans: [{ spans: [span()] }] },
      ],
    });
    const [first, second, third, fourth] = decoded.spans;
    assert.equal(first.resource, second.resource);
    assert.equal(first.resource, third.resource);
    assert.equal(first.scopeAttributes, second.scopeAttributes);
    assert.notEqual(first.scopeAttributes, third.scopeAttributes);
    assert.deepEqual(first.scopeAttributes, { x: 1 });
    assert.equal(first.resourceSchemaUrl, 'https://example.com/schema');
    assert.deepEqual(fourth.resource, {});
    assert.equal(fourth.scopeName, '');
  });

  it('attaches a resource and scope that come after their spans on the wire', () => {
    const spanBytes = otlpTypes.exportTraceServiceRequest.lookupType('opentelemetry.proto.trace.v1.Span');
    const writer = protobuf.Writer.create();
    writer.uint32((1 << 3) | 2).fork(); // resource_spans
    writer.uint32((2 << 3) | 2).fork(); // scope_spans
    writer.uint32((2 << 3) | 2).bytes(spanBytes.encode({ traceId: id('11', 16), spanId: id('22', 8), name: 'early' }).finish());
    writer.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('late-scope').ldelim(); // scope
    writer.ldelim();
    writer.uint32((3 << 3) | 2).string('https://late.example/schema'); // schema_url
    writer.uint32((1 << 3) | 2).fork(); // resource
    writer.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('service.name');
    writer.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('late').ldelim().ldelim();
    writer.ldelim();
    writer.ldelim();
    const decoded = decodeTracesProtobuf(writer.finish());
    assert.equal(decoded.spans.length, 1);
    assert.deepEqual(decoded.spans[0].resource, { 'service.name': 'late' });
    assert.equal(decoded.spans[0].resourceSchemaUrl, 'https://late.example/schema');
    assert.equal(decoded.spans[0].scopeName, 'late-scope');
  });
});
