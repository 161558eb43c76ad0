/**
 * The envelope every OTLP/JSON decoder shares: the body as text (a byte order mark skipped), parsed
 * with 64-bit integers kept exact, then walked by the signal's decoder; shape errors become one
 * {@link InvalidRequestError} naming the request message and where in it the problem is.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError } from '../errors/index.ts';
import { JsonShapeError, asElement } from './json-field-readers.ts';
import type { JsonObject } from './json-field-readers.ts';
import { parseLosslessJson } from './lossless-json.ts';

/**
 * Parses `body` as OTLP/JSON and gives the request object to `walk`.
 *
 * @throws {InvalidRequestError} when the body is not JSON, or `walk` throws a {@link JsonShapeError}.
 */
export function parseJsonRequest(body: Uint8Array | string, messageName: string, walk: (request: JsonObject) => void): void {
  let text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // RFC 8259 lets parsers skip a byte order mark, which JSON.parse itself rejects.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let request: unknown;
  try {
    request = parseLosslessJson(text);
  } catch (error) {
    throw new InvalidRequestError(`The body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    walk(asElement(request, ''));
  } catch (error) {
    if (!(error instanceof JsonShapeError)) throw error;
    const where = error.path === '' ? '' : ` at ${error.path}`;
    throw new InvalidRequestError(`Invalid OTLP/JSON ${messageName}${where}: ${error.message}`, { cause: error });
  }
}
