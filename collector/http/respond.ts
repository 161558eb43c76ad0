import type { ServerResponse } from 'node:http';
import { AglError, MethodNotAllowedError, RetryableError } from '../../src/errors/index.ts';

/** Sends `body` as JSON with `status`. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Sends raw bytes or text with a content type. */
export function sendBody(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    ...headers,
  });
  response.end(body);
}

/** The HTTP status and headers an error maps to (500 for anything not an `AglError`). */
export function errorStatus(error: unknown): { status: number; headers: Record<string, string>; message: string; code: string } {
  if (error instanceof AglError) {
    const headers: Record<string, string> = {};
    if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
    if (error instanceof RetryableError) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMillis / 1000)));
    return { status: error.status, headers, message: error.message, code: error.code };
  }
  return { status: 500, headers: {}, message: 'Internal server error', code: 'internal' };
}

/**
 * The one place that turns a thrown error into a JSON response: `{ detail, code }` (FastAPI's
 * `detail`, so that Agent Lightning clients read our errors as they read its own).
 */
export function sendError(response: ServerResponse, error: unknown): void {
  const { status, headers, message, code } = errorStatus(error);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status, { detail: message, code }, headers);
}
