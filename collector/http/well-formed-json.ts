import { toWellFormedJson } from '../../src/store/index.ts';

/**
 * Parses a JSON request body into values that JSON text and DuckDB can hold: every lone UTF-16
 * surrogate (which only a `\uD800`–`\uDFFF` escape can bring in) becomes U+FFFD, in strings and
 * object keys alike. Every JSON route reads its body through this, so no store change, SQL text or
 * export filter ever carries one. Throws `SyntaxError` as `JSON.parse` does.
 */
export function parseWellFormedJson(text: string): unknown {
  return toWellFormedJson(text, JSON.parse(text));
}
