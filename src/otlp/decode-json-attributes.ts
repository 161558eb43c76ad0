/**
 * OTLP/JSON `KeyValue` lists and `AnyValue`s → {@link Attributes}: the attributes of resources,
 * scopes, spans, events and links, with arrays and key-value lists nested at most
 * {@link MAX_VALUE_NESTING} levels deep and `bytesValue` read from base64.
 */
import { Buffer } from 'node:buffer';
import type { AttributeValue, Attributes } from '../spans/index.ts';
import { MAX_VALUE_NESTING, setAttribute } from './attributes.ts';
import { JsonShapeError, asArray, asDouble, asElement, asInt64, asObject, asString, typeError } from './json-field-readers.ts';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes a list of `KeyValue` objects into `target`. */
export function decodeAttributes(value: unknown, target: Attributes, path: string): void {
  const list = asArray(value, path);
  for (let index = 0; index < list.length; index++) {
    const keyValue = asElement(list[index], `${path}[${index}]`);
    const key = asString(keyValue.key, `${path}[${index}].key`);
    try {
      setAttribute(target, key, decodeAnyValue(keyValue.value, 0));
    } catch (error) {
      throw error instanceof JsonShapeError ? error.within(`${path}[${JSON.stringify(key)}].value`) : error;
    }
  }
}

/** Decodes one OTLP/JSON `AnyValue` object (a log record's body, say) into a plain value. */
export function decodeAnyValue(value: unknown, depth: number): AttributeValue {
  const anyValue = asObject(value, '');
  if (anyValue === undefined) return null;
  let member: unknown;
  if ((member = anyValue.stringValue ?? anyValue.string_value) != null) {
    if (typeof member !== 'string') throw typeError('stringValue', 'a string', member);
    return member;
  }
  if ((member = anyValue.intValue ?? anyValue.int_value) != null) return asInt64(member, 'intValue');
  if ((member = anyValue.doubleValue ?? anyValue.double_value) != null) return asDouble(member, 'doubleValue');
  if ((member = anyValue.boolValue ?? anyValue.bool_value) != null) {
    if (typeof member !== 'boolean') throw typeError('boolValue', 'true or false', member);
    return member;
  }
  if ((member = anyValue.arrayValue ?? anyValue.array_value) != null) {
    if (depth >= MAX_VALUE_NESTING) throw new JsonShapeError('arrayValue', `values nest deeper than ${MAX_VALUE_NESTING} levels`);
    const list = asArray(asObject(member, 'arrayValue')!.values, 'arrayValue.values');
    const array: AttributeValue[] = new Array(list.length);
    for (let index = 0; index < list.length; index++) {
      try {
        array[index] = decodeAnyValue(list[index], depth + 1);
      } catch (error) {
        throw error instanceof JsonShapeError ? error.within(`arrayValue.values[${index}]`) : error;
      }
    }
    return array;
  }
  if ((member = anyValue.kvlistValue ?? anyValue.kvlist_value) != null) {
    if (depth >= MAX_VALUE_NESTING) throw new JsonShapeError('kvlistValue', `values nest deeper than ${MAX_VALUE_NESTING} levels`);
    const object: Attributes = {};
    decodeAttributes(asObject(member, 'kvlistValue')!.values, object, 'kvlistValue.values');
    return object;
  }
  if ((member = anyValue.bytesValue ?? anyValue.bytes_value) != null) {
    if (typeof member !== 'string' || !BASE64.test(member)) throw typeError('bytesValue', 'a base64 string', member);
    // Copied out of Buffer's shared allocation pool into a plain Uint8Array of its own.
    return new Uint8Array(Buffer.from(member, 'base64'));
  }
  return null;
}
