import type { IncomingMessage } from 'node:http';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import { mediaType, readRequestBody } from './request-body.ts';

/** Reads a JSON request body (at most `maxBytes`, default 8 MiB); 415 for another content type. */
export async function readJsonBody(request: IncomingMessage, maxBytes = 8 * 1024 * 1024): Promise<unknown> {
  const type = mediaType(request.headers['content-type']);
  if (type !== 'application/json' && type !== '') {
    request.resume();
    throw new UnsupportedMediaTypeError(`Expected Content-Type application/json, got \`${type}\``);
  }
  const body = await readRequestBody(request, { maxBytes });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidRequestError(`The body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
