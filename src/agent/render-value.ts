/**
 * How a value is written into a prompt: strings as they are, numbers, bigints and booleans as
 * JavaScript prints them, `null` as `null`, arrays and objects as JSON.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'null';
  if (typeof value === 'object') {
    try {
      const json = JSON.stringify(value);
      if (typeof json === 'string') return json;
    } catch {
      // circular: fall back to String()
    }
  }
  return String(value);
}

/** Reads `key` of `value` as Python's attribute and item access do on plain data: own properties only. */
export function lookup(value: unknown, key: string | number): { found: true; value: unknown } | { found: false } {
  if (value === null || value === undefined) return { found: false };
  if (typeof value === 'string' && typeof key === 'number') {
    return key >= 0 && key < value.length ? { found: true, value: value[key] } : { found: false };
  }
  if (typeof value !== 'object') return { found: false };
  if (value instanceof Map) return value.has(key) ? { found: true, value: value.get(key) } : { found: false };
  if (Array.isArray(value) && typeof key === 'number') {
    const index = key < 0 ? value.length + key : key;
    return index >= 0 && index < value.length ? { found: true, value: value[index] } : { found: false };
  }
  const name = String(key);
  return Object.prototype.hasOwnProperty.call(value, name) ? { found: true, value: (value as Record<string, unknown>)[name] } : { found: false };
}
