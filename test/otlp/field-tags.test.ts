import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldTags } from '../../src/otlp/field-tags.ts';
import { otlpRoot } from '../../src/otlp/proto-schema.ts';

const spanType = otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span');

describe('fieldTags', () => {
  it('combines field numbers from the schema with the wire type of each kind', () => {
    assert.deepEqual(
      fieldTags(spanType, { traceId: 'bytes', kind: 'enum', startTimeUnixNano: 'fixed64', attributes: 'message', flags: 'fixed32' }),
      { traceId: (1 << 3) | 2, kind: (6 << 3) | 0, startTimeUnixNano: (7 << 3) | 1, attributes: (9 << 3) | 2, flags: (16 << 3) | 5 },
    );
    const anyValue = otlpRoot.lookupType('opentelemetry.proto.common.v1.AnyValue');
    assert.deepEqual(fieldTags(anyValue, { boolValue: 'bool', intValue: 'int64', doubleValue: 'double' }), {
      boolValue: (2 << 3) | 0,
      intValue: (3 << 3) | 0,
      doubleValue: (4 << 3) | 1,
    });
  });

  it('refuses a field the schema does not have, or declares as another kind', () => {
    assert.throws(() => fieldTags(spanType, { nonsense: 'string' }), /Span to have a field `nonsense`/);
    assert.throws(() => fieldTags(spanType, { flags: 'uint32' }), /Span\.flags to be uint32 in the schema, got fixed32/);
    assert.throws(() => fieldTags(spanType, { status: 'bytes' }), /Span\.status to be bytes in the schema, got message/);
  });
});
