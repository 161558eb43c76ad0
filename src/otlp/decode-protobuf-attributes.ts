/**
 * OTLP `KeyValue` / `AnyValue` in binary protobuf → {@link Attributes}: the attributes of
 * resources, scopes, spans, events and links, with arrays and key-value lists nested at most
 * {@link MAX_VALUE_NESTING} levels deep.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';
import { MAX_VALUE_NESTING, setAttribute } from './attributes.ts';
import { fieldTags } from './field-tags.ts';
import { otlpRoot } from './proto-schema.ts';
import { cachedString, decodeError, enterMessage, skipField, toInt64 } from './protobuf-reader.ts';
import type { BodyReader } from './protobuf-reader.ts';

const KEY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.KeyValue'), { key: 'string', value: 'message' });
const ANY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.AnyValue'), {
  stringValue: 'string',
  boolValue: 'bool',
  intValue: 'int64',
  doubleValue: 'double',
  arrayValue: 'message',
  kvlistValue: 'message',
  bytesValue: 'bytes',
});
const ARRAY_VALUE = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.ArrayValue'), { values: 'message' });
const KEY_VALUE_LIST = fieldTags(otlpRoot.lookupType('opentelemetry.proto.common.v1.KeyValueList'), { values: 'message' });

/** Decodes one `KeyValue` message into `attributes`. */
export function decodeKeyValue(reader: BodyReader, attributes: Attributes, depth: number): void {
  const outerLen = enterMessage(reader);
  let key = '';
  let value: AttributeValue = null;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === KEY_VALUE.key) key = cachedString(reader);
    else if (tag === KEY_VALUE.value) value = decodeAnyValue(reader, depth);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  setAttribute(attributes, key, value);
}

/** Decodes one `AnyValue` message (a log record's body, say) into a plain value. */
export function decodeAnyValue(reader: BodyReader, depth: number): AttributeValue {
  const outerLen = enterMessage(reader);
  let value: AttributeValue = null;
  // When a oneof member appears more than once, protobuf keeps the last one.
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    switch (tag) {
      case ANY_VALUE.stringValue:
        value = cachedString(reader);
        break;
      case ANY_VALUE.boolValue:
        value = reader.bool();
        break;
      case ANY_VALUE.intValue: {
        // A `Long` (proto-schema.ts wires long.js into protobufjs), read back as a number or bigint.
        const long = reader.int64();
        value = toInt64(long.low, long.high);
        break;
      }
      case ANY_VALUE.doubleValue:
        value = reader.double();
        break;
      case ANY_VALUE.arrayValue:
        value = decodeArrayValue(reader, depth + 1);
        break;
      case ANY_VALUE.kvlistValue:
        value = decodeKeyValueList(reader, depth + 1);
        break;
      case ANY_VALUE.bytesValue:
        // A copy through the Uint8Array constructor: detached from the body, and not a Buffer.
        value = new Uint8Array(reader.bytes());
        break;
      default:
        skipField(reader, tag);
    }
  }
  reader.len = outerLen;
  return value;
}

function decodeArrayValue(reader: BodyReader, depth: number): AttributeValue[] {
  if (depth > MAX_VALUE_NESTING) throw decodeError(reader, `attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  const outerLen = enterMessage(reader);
  const values: AttributeValue[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === ARRAY_VALUE.values) values.push(decodeAnyValue(reader, depth));
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  return values;
}

function decodeKeyValueList(reader: BodyReader, depth: number): Attributes {
  if (depth > MAX_VALUE_NESTING) throw decodeError(reader, `attribute values nest deeper than ${MAX_VALUE_NESTING} levels`);
  const outerLen = enterMessage(reader);
  const object: Attributes = {};
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    if (tag === KEY_VALUE_LIST.values) decodeKeyValue(reader, object, depth);
    else skipField(reader, tag);
  }
  reader.len = outerLen;
  return object;
}
