/**
 * Strings that JSON text and DuckDB can hold. A JavaScript string may contain a lone UTF-16
 * surrogate (`JSON.parse('"\\ud800"')` gives one); UTF-8 has no encoding for it, so DuckDB's JSON
 * reader refuses the `\ud800` escape `JSON.stringify` writes for it and a VARCHAR cannot hold it.
 * The store keeps such strings with each lone surrogate replaced by U+FFFD, as
 * `String.prototype.toWellFormed` does.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A `\uD800`–`\uDFFF` escape in JSON text (pairs included: they only cost a look). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
/** In `JSON.stringify`'s output, which writes pairs as they are: an escaped lone surrogate (after an even run of backslashes). */
const STRINGIFIED_LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/** `text` with every lone surrogate replaced by U+FFFD (itself when it has none). */
export function toWellFormedText(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/**
 * A parsed JSON value with {@link toWellFormedText} applied to every string and object key; `value`
 * itself when nothing needed it. Objects and arrays that changed are copies.
 */
export function toWellFormedValue<T>(value: T): T {
  if (typeof value === 'string') return toWellFormedText(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item, index) => {
      const fixed = toWellFormedValue(item);
      if (fixed !== item) (copy ??= value.slice())[index] = fixed;
    });
    return (copy ?? value) as T;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const fixedKey = toWellFormedText(key);
    const fixed = toWellFormedValue(item);
    if (fixedKey !== key || fixed !== item) changed = true;
    return [fixedKey, fixed] as const;
  });
  return changed ? (Object.fromEntries(entries) as T) : value;
}

/**
 * `JSON.parse`'s result for `text`, made well-formed ({@link toWellFormedValue}); the walk is only
 * taken when the text holds a surrogate escape, the only way a lone surrogate gets into it (a UTF-8
 * body cannot encode one: the decoder already turned such bytes into U+FFFD).
 */
export function toWellFormedJson<T>(text: string, parsed: T): T {
  return SURROGATE_ESCAPE.test(text) ? toWellFormedValue(parsed) : parsed;
}

/** `JSON.stringify(value)` with every lone surrogate written as U+FFFD, so that DuckDB's JSON reader takes it. */
export function stringifyWellFormed(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes('\\ud')) return text;
  return text.replace(STRINGIFIED_LONE_SURROGATE, '$1\uFFFD');
}
