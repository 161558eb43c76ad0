/**
 * Helpers for building {@link Attributes} objects from OTLP key/value lists.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';

/**
 * Sets `target[key] = value`; a later call with the same key wins, as OTLP asks of repeated keys.
 * The key `__proto__` is stored as an ordinary property instead of replacing the prototype.
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** How deeply `arrayValue` / `kvlistValue` may nest before a request is refused. */
export const MAX_VALUE_NESTING = 32;
