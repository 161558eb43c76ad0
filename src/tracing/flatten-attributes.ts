import type { AttributeValue, Attributes } from '@opentelemetry/api';

const MAX_DEPTH = 8;

/**
 * Span attributes from a value, as Agent Lightning flattens them: plain objects and arrays of
 * objects become dotted keys (`prefix.key`, `prefix.0.name`), arrays of one primitive type stay
 * arrays, strings, numbers and booleans stay as they are, bigints become strings, dates ISO
 * strings. Anything else (class instances, Maps, deeper than 8 levels) is written as JSON, or as
 * `String(value)` when it has no JSON form. `null` and `undefined` are left out.
 */
export function flattenAttributes(value: unknown, prefix: string, into: Attributes = {}): Attributes {
  flattenInto(value, prefix, into, 0);
  return into;
}

function flattenInto(value: unknown, key: string, into: Attributes, depth: number): void {
  if (value === null || value === undefined) return;
  const primitive = primitiveAttribute(value);
  if (primitive !== undefined) {
    into[key] = primitive;
    return;
  }
  if (Array.isArray(value)) {
    const homogeneous = homogeneousArray(value);
    if (homogeneous) {
      into[key] = homogeneous;
      return;
    }
    if (depth < MAX_DEPTH) {
      value.forEach((item, index) => flattenInto(item, `${key}.${index}`, into, depth + 1));
      return;
    }
  } else if (isPlainObject(value) && depth < MAX_DEPTH) {
    for (const [name, item] of Object.entries(value)) flattenInto(item, `${key}.${name}`, into, depth + 1);
    return;
  }
  into[key] = jsonOrString(value);
}

function primitiveAttribute(value: unknown): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    default:
      return value instanceof Date ? value.toISOString() : undefined;
  }
}

function homogeneousArray(items: unknown[]): AttributeValue | undefined {
  if (items.length === 0) return [] as string[];
  const kind = typeof items[0];
  if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') return undefined;
  return items.every((item) => typeof item === kind) ? (items as AttributeValue) : undefined;
}

/** Whether `value` is a `{}` literal or `Object.create(null)` object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `JSON.stringify(value)`, or `String(value)` when it has no JSON form. */
export function jsonOrString(value: unknown): string {
  try {
    const json = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
    if (typeof json === 'string') return json;
  } catch {
    // circular or throwing toJSON: fall through
  }
  return String(value);
}
