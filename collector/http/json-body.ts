import type { IncomingMessage } from 'node:http';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import { mediaType, readRequestBody } from './request-body.ts';
import { parseWellFormedJson } from './well-formed-json.ts';

/**
 * Reads a JSON request body (at most `maxBytes`, default 8 MiB); 415 unless the content type is
 * `application/json` (parameters such as `charset` allowed). A missing content type is refused too:
 * a browser sends a body without one (or as `text/plain`) cross-site without a CORS preflight.
 */
export async function readJsonBody(request: IncomingMessage, maxBytes = 8 * 1024 * 1024): Promise<unknown> {
  const type = mediaType(request.headers['content-type']);
  if (type !== 'application/json') {
    request.resume();
    throw new UnsupportedMediaTypeError(`Expected Content-Type application/json, got \`${type || '(none)'}\``);
  }
  const body = await readRequestBody(request, { maxBytes });
  try {
    return parseWellFormedJson(body.toString('utf8'));
  } catch (error) {
    throw new InvalidRequestError(`The body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
