import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpAnyValue, OtlpExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from '../../src/otlp/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import type { AttributeValue, Attributes, SpanRecord } from '../../src/spans/index.ts';
import { seededRandom } from './fixtures.ts';

describe('decodeTracesProtobuf against protobufjs', () => {
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
