import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { InvalidRequestError } from '../../src/errors/index.ts';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../src/otlp/index.ts';
import type { OtlpAnyValue } from '../../src/otlp/index.ts';
import { otlpTypes } from '../../src/otlp/proto-schema.ts';
import { decode, id, request, span } from './fixtures.ts';

describe('decodeTracesProtobuf: unknown fields and malformed bodies', () => {
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
});
