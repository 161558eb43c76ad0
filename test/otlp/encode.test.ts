import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import Long from 'long';
import { InvalidRequestError } from '../../src/errors/index.ts';
import {
  decodeExportTraceServiceResponse,
  decodeRpcStatus,
  decodeTracesProtobuf,
  encodeExportTraceServiceResponse,
  encodeRpcStatus,
  encodeTracesProtobuf,
} from '../../src/otlp/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import { BASE_TIME_NANOS, id, request, span } from './fixtures.ts';

describe('encodeExportTraceServiceResponse', () => {
  it('encodes full success as the empty message', () => {
    const protobufBody = encodeExportTraceServiceResponse('protobuf');
    assert.equal(protobufBody.length, 0);
    assert.deepEqual(decodeExportTraceServiceResponse(protobufBody), {});
    assert.equal(encodeExportTraceServiceResponse('json'), '{}');
    assert.equal(encodeExportTraceServiceResponse('json', { rejectedSpans: 0, errorMessage: '' }), '{}');
    assert.equal(encodeExportTraceServiceResponse('protobuf', { rejectedSpans: 0, errorMessage: '' }).length, 0);
  });

  it('encodes partial success in protobuf', () => {
    const partial = { rejectedSpans: 3, errorMessage: 'span "x": spanId "0102030405" has 5 bytes, expected 8' };
    const bytes = encodeExportTraceServiceResponse('protobuf', partial);
    assert.deepEqual(decodeExportTraceServiceResponse(bytes), { partialSuccess: partial });
    // The OpenTelemetry JS exporter must read it too.
    const seenByExporter = ProtobufTraceSerializer.deserializeResponse(bytes);
    assert.equal(Number(seenByExporter.partialSuccess?.rejectedSpans), 3);
    assert.equal(seenByExporter.partialSuccess?.errorMessage, partial.errorMessage);
  });

  it('encodes partial success in JSON with lowerCamelCase keys and int64 as a string', () => {
    const text = encodeExportTraceServiceResponse('json', { rejectedSpans: 2, errorMessage: 'bad ids' });
    assert.deepEqual(JSON.parse(text), { partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' } });
    assert.deepEqual(decodeExportTraceServiceResponse(text, 'json'), { partialSuccess: { rejectedSpans: 2, errorMessage: 'bad ids' } });
    const seenByExporter = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(text));
    assert.equal(Number(seenByExporter.partialSuccess?.rejectedSpans), 2);
  });

  it('keeps a warning message even when nothing was rejected', () => {
    const bytes = encodeExportTraceServiceResponse('protobuf', { rejectedSpans: 0, errorMessage: 'slow down' });
    assert.deepEqual(decodeExportTraceServiceResponse(bytes), { partialSuccess: { rejectedSpans: 0, errorMessage: 'slow down' } });
  });
});

describe('encodeRpcStatus', () => {
  it('encodes a google.rpc.Status in protobuf and JSON', () => {
    const bytes = encodeRpcStatus('protobuf', 3, 'cannot decode the body');
    assert.deepEqual(decodeRpcStatus(bytes), { code: 3, message: 'cannot decode the body' });
    const generic = otlpTypes.rpcStatus.toObject(otlpTypes.rpcStatus.decode(bytes));
    assert.deepEqual(generic, { code: 3, message: 'cannot decode the body' });
    const text = encodeRpcStatus('json', 8, 'over capacity');
    assert.deepEqual(JSON.parse(text), { code: 8, message: 'over capacity' });
    assert.deepEqual(decodeRpcStatus(text, 'json'), { code: 8, message: 'over capacity' });
  });

  it('makes the response decoders throw InvalidRequestError on garbage', () => {
    assert.throws(() => decodeRpcStatus(Buffer.from([0x0a, 0xff])), InvalidRequestError);
    assert.throws(() => decodeExportTraceServiceResponse('not json', 'json'), InvalidRequestError);
  });
});

describe('encodeTracesProtobuf', () => {
  it('accepts 64-bit integers as bigint, Long, number and decimal string', () => {
    const decoded = decodeTracesProtobuf(
      encodeTracesProtobuf(
        request([
          span({ spanId: id('01', 8), startTimeUnixNano: BASE_TIME_NANOS, endTimeUnixNano: Long.fromString('1700000000123456790', true) }),
          span({ spanId: id('02', 8), startTimeUnixNano: 1_000, endTimeUnixNano: '18446744073709551615' }),
          span({
            spanId: id('03', 8),
            attributes: [
              { key: 'bigint', value: { intValue: -9_223_372_036_854_775_807n } },
              { key: 'long', value: { intValue: Long.fromString('9007199254740993') } },
              { key: 'number', value: { intValue: -5 } },
              { key: 'string', value: { intValue: '123' } },
              { key: 'nested', value: { arrayValue: { values: [{ kvlistValue: { values: [{ key: 'k', value: { intValue: 2n ** 60n } }] } }] } } },
            ],
            events: [{ timeUnixNano: BASE_TIME_NANOS + 5n, name: 'e', attributes: [{ key: 'b', value: { intValue: 2n ** 62n } }] }],
          }),
        ]),
      ),
    );
    const [first, second, third] = decoded.spans;
    assert.equal(first.startTimeUnixNano, 1_700_000_000_123_456_789n);
    assert.equal(first.endTimeUnixNano, 1_700_000_000_123_456_790n);
    assert.equal(second.startTimeUnixNano, 1_000n);
    assert.equal(second.endTimeUnixNano, 18_446_744_073_709_551_615n);
    assert.deepEqual(third.attributes, {
      bigint: -9_223_372_036_854_775_807n,
      long: 9_007_199_254_740_993n,
      number: -5,
      string: 123,
      nested: [{ k: 2n ** 60n }],
    });
    assert.equal(third.events[0].timeUnixNano, BASE_TIME_NANOS + 5n);
    assert.deepEqual(third.events[0].attributes, { b: 2n ** 62n });
  });

  it('does not modify the request it is given', () => {
    const message = request([span({ attributes: [{ key: 'n', value: { intValue: 2n ** 60n } }] })]);
    const before = structuredClone(message);
    encodeTracesProtobuf(message);
    assert.deepEqual(message, before);
  });
});
