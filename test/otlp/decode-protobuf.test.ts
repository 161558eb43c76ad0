import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { InvalidRequestError } from '../../src/errors/index.ts';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpAnyValue, OtlpExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from '../../src/otlp/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import type { AttributeValue, Attributes, SpanRecord } from '../../src/spans/index.ts';
import { BASE_TIME_NANOS, id, request, seededRandom, span } from './fixtures.ts';

function decode(message: OtlpExportTraceServiceRequest) {
  return decodeTracesProtobuf(encodeTracesProtobuf(message));
}

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

  it('skips unknown fields of every wire type', () => {
    const spanType = otlpTypes.exportTraceServiceRequest.lookupType('opentelemetry.proto.trace.v1.Span');
    const known = spanType.encode({ traceId: id('11', 16), spanId: id('22', 8), name: 'with unknowns' }).finish();
    const unknowns = protobuf.Writer.create()
      .uint32((90 << 3) | 0).uint64(123456789)
      .uint32((91 << 3) | 1).fixed64(1)
      .uint32((92 << 3) | 2).string('ignored')
      .uint32((93 << 3) | 5).fixed32(7)
      .uint32((94 << 3) | 3).uint32((1 << 3) | 0).uint32(5).uint32((94 << 3) | 4) // a group
      .uint32((5 << 3) | 0).uint32(1) // name (a string) sent with the wrong wire type
      .finish();
    const body = protobuf.Writer.create();
    body.uint32((1 << 3) | 2).fork().uint32((2 << 3) | 2).fork();
    body.uint32((2 << 3) | 2).bytes(Buffer.concat([known, unknowns]));
    body.ldelim().ldelim();
    body.uint32((77 << 3) | 2).string('unknown top-level field');
    const decoded = decodeTracesProtobuf(body.finish());
    assert.equal(decoded.spans.length, 1);
    assert.equal(decoded.spans[0].name, 'with unknowns');
  });

  it('accepts a plain Uint8Array as well as a Buffer, and an empty body', () => {
    const bytes = encodeTracesProtobuf(request([span()]));
    const copy = new Uint8Array(bytes.length + 4).subarray(2, 2 + bytes.length);
    copy.set(bytes);
    assert.equal(decodeTracesProtobuf(copy).spans.length, 1);
    assert.deepEqual(decodeTracesProtobuf(new Uint8Array(0)), { spans: [], rejectedSpans: 0, rejectionMessage: '' });
  });

  it('throws InvalidRequestError for bytes that are not an ExportTraceServiceRequest', () => {
    const valid = encodeTracesProtobuf(request([span(), span()]));
    const bodies = [
      Buffer.from('this is not protobuf'),
      Buffer.from('{"resourceSpans":[]}'),
      valid.subarray(0, valid.length - 3),
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      Buffer.from([0x0f]),
      Buffer.from([0x00, 0x01]), // field number 0
      Buffer.from([0x0b, 0x08, 0x01]), // a group that never ends
      // A span name longer than its span, though not than the body: resource_spans { scope_spans
      // { spans { name: 5 bytes, of which 3 are inside the span } } }, then an unknown field.
      Buffer.from([0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x2a, 0x05, 0x41, 0x41, 0x41, 0x12, 0x02, 0x41, 0x41]),
    ];
    for (const body of bodies) {
      assert.throws(
        () => decodeTracesProtobuf(body),
        (error: unknown) =>
          error instanceof InvalidRequestError &&
          error.status === 400 &&
          /^Cannot decode the body as a protobuf ExportTraceServiceRequest: .+ \(at byte \d+ of \d+\)$/.test(error.message),
        `body ${Buffer.from(body).toString('hex')}`,
      );
    }
  });

  it('refuses attribute values nested absurdly deep instead of overflowing the stack', () => {
    let value: OtlpAnyValue = { stringValue: 'bottom' };
    for (let depth = 0; depth < 40; depth++) value = { arrayValue: { values: [value] } };
    assert.throws(() => decode(request([span({ attributes: [{ key: 'deep', value }] })])), InvalidRequestError);
    let shallow: OtlpAnyValue = { stringValue: 'bottom' };
    for (let depth = 0; depth < 20; depth++) shallow = { kvlistValue: { values: [{ key: 'k', value: shallow }] } };
    assert.equal(decode(request([span({ attributes: [{ key: 'deep', value: shallow }] })])).spans.length, 1);
  });

  it('agrees with protobufjs reading the same .proto schema, on random requests', () => {
    const random = seededRandom(20240611);
    for (let round = 0; round < 60; round++) {
      const message = randomRequest(random);
      const bytes = encodeTracesProtobuf(message);
      assert.deepEqual(decodeTracesProtobuf(bytes).spans, referenceDecode(bytes), `round ${round}`);
    }
  });
});

// ---- A reference decoder: protobufjs's generic decoding of our .proto files, mapped naively. ----

type Generic = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function referenceDecode(bytes: Uint8Array): SpanRecord[] {
  const type = otlpTypes.exportTraceServiceRequest;
  const message = type.toObject(type.decode(bytes), { longs: String, defaults: true, arrays: true, oneofs: true }) as Generic;
  const records: SpanRecord[] = [];
  for (const resourceSpans of message.resourceSpans as Generic[]) {
    const resource = referenceAttributes(resourceSpans.resource?.attributes ?? []);
    for (const scopeSpans of resourceSpans.scopeSpans as Generic[]) {
      const scopeAttributes = referenceAttributes(scopeSpans.scope?.attributes ?? []);
      for (const item of scopeSpans.spans as Generic[]) {
        const parent = Buffer.from(item.parentSpanId);
        records.push({
          traceId: Buffer.from(item.traceId).toString('hex'),
          spanId: Buffer.from(item.spanId).toString('hex'),
          parentSpanId: parent.length === 0 || parent.every((byte) => byte === 0) ? null : parent.toString('hex'),
          traceState: item.traceState,
          flags: item.flags,
          name: item.name,
          kind: item.kind,
          startTimeUnixNano: BigInt(item.startTimeUnixNano),
          endTimeUnixNano: BigInt(item.endTimeUnixNano),
          attributes: referenceAttributes(item.attributes),
          droppedAttributesCount: item.droppedAttributesCount,
          events: (item.events as Generic[]).map((event) => ({
            timeUnixNano: BigInt(event.timeUnixNano),
            name: event.name,
            attributes: referenceAttributes(event.attributes),
            droppedAttributesCount: event.droppedAttributesCount,
          })),
          droppedEventsCount: item.droppedEventsCount,
          links: (item.links as Generic[]).map((link) => ({
            traceId: Buffer.from(link.traceId).toString('hex'),
            spanId: Buffer.from(link.spanId).toString('hex'),
            traceState: link.traceState,
            attributes: referenceAttributes(link.attributes),
            droppedAttributesCount: link.droppedAttributesCount,
            flags: link.flags,
          })),
          droppedLinksCount: item.droppedLinksCount,
          statusCode: item.status?.code ?? 0,
          statusMessage: item.status?.message ?? '',
          resource,
          resourceSchemaUrl: resourceSpans.schemaUrl,
          scopeName: scopeSpans.scope?.name ?? '',
          scopeVersion: scopeSpans.scope?.version ?? '',
          scopeAttributes,
        });
      }
    }
  }
  return records;
}

function referenceAttributes(keyValues: Generic[]): Attributes {
  const attributes: Attributes = {};
  for (const keyValue of keyValues) attributes[keyValue.key] = keyValue.value ? referenceValue(keyValue.value) : null;
  return attributes;
}

function referenceValue(value: Generic): AttributeValue {
  switch (value.value) {
    case 'stringValue':
    case 'boolValue':
    case 'doubleValue':
      return value[value.value];
    case 'intValue': {
      const integer = BigInt(value.intValue);
      return integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer;
    }
    case 'bytesValue':
      return new Uint8Array(value.bytesValue);
    case 'arrayValue':
      return (value.arrayValue.values as Generic[]).map(referenceValue);
    case 'kvlistValue':
      return referenceAttributes(value.kvlistValue.values);
    default:
      return null;
  }
}

// ---- Random requests ----

function randomRequest(random: () => number): OtlpExportTraceServiceRequest {
  const pick = (count: number) => Math.floor(random() * count);
  const bytes = (length: number) => Uint8Array.from({ length }, () => 1 + pick(255));
  const text = () => ['', 'a', 'chat', 'gen_ai.system', 'ünïcødé ✓ 🚀', 'x'.repeat(60), `v${pick(1000)}`][pick(7)];
  const int64 = () => BigInt.asIntN(64, (BigInt(pick(2 ** 32)) << 32n) | BigInt(pick(2 ** 32)));
  const anyValue = (depth: number): OtlpAnyValue => {
    switch (pick(depth > 2 ? 6 : 8)) {
      case 0: return { stringValue: text() };
      case 1: return { boolValue: random() < 0.5 };
      case 2: return { intValue: random() < 0.5 ? pick(1000) - 500 : int64() };
      case 3: return { doubleValue: (random() - 0.5) * 1e6 };
      case 4: return { bytesValue: bytes(pick(5)) };
      case 5: return {};
      case 6: return { arrayValue: { values: Array.from({ length: pick(4) }, () => anyValue(depth + 1)) } };
      default: return { kvlistValue: { values: keyValues(depth + 1) } };
    }
  };
  const keyValues = (depth: number): OtlpKeyValue[] =>
    Array.from({ length: pick(5) }, () => ({ key: ['k1', 'k2', 'gen_ai.usage.input_tokens', 'key with spaces', ''][pick(5)], value: anyValue(depth) }));
  const time = () => BigInt.asUintN(64, (BigInt(pick(2 ** 32)) << 32n) | BigInt(pick(2 ** 32)));
  const randomSpan = (): OtlpSpan => ({
    traceId: bytes(16),
    spanId: bytes(8),
    parentSpanId: random() < 0.5 ? bytes(8) : undefined,
    traceState: random() < 0.3 ? 'k=v' : undefined,
    flags: random() < 0.5 ? pick(1024) : undefined,
    name: text(),
    kind: pick(6),
    startTimeUnixNano: time(),
    endTimeUnixNano: time(),
    attributes: keyValues(0),
    droppedAttributesCount: pick(3),
    events: Array.from({ length: pick(3) }, () => ({ timeUnixNano: time(), name: text(), attributes: keyValues(0), droppedAttributesCount: pick(2) })),
    droppedEventsCount: pick(3),
    links: Array.from({ length: pick(3) }, () => ({ traceId: bytes(16), spanId: bytes(8), traceState: text(), attributes: keyValues(0), flags: pick(512) })),
    droppedLinksCount: pick(3),
    status: random() < 0.5 ? { code: pick(3), message: text() } : undefined,
  });
  return {
    resourceSpans: Array.from({ length: 1 + pick(3) }, () => ({
      resource: random() < 0.8 ? { attributes: keyValues(0) } : undefined,
      schemaUrl: random() < 0.5 ? 'https://opentelemetry.io/schemas/1.26.0' : undefined,
      scopeSpans: Array.from({ length: 1 + pick(3) }, () => ({
        scope: random() < 0.8 ? { name: text(), version: text(), attributes: keyValues(0) } : undefined,
        spans: Array.from({ length: pick(6) }, randomSpan),
      })),
    })),
  };
}
