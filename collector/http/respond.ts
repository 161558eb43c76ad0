import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AglError, MethodNotAllowedError, NotFoundError, RetryableError } from '../../src/errors/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { requestUrl } from './route-table.ts';

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

/** The answer to a path no route serves: a 404 for the error handlers. */
export const notFound: RequestHandler = (request, _response, next) => {
  next(new NotFoundError(`No such endpoint: ${requestUrl(request).pathname}`));
};

/** Logs an error that is no `AglError` (a bug, or a failure nobody expected), with the request that met it. */
export function logUnexpected(logger: Logger, request: IncomingMessage, error: unknown): void {
  if (!(error instanceof AglError)) logger.error(`${request.method} ${(request as Partial<Request>).originalUrl ?? request.url} failed`, error);
}

/**
 * The collector's last error handler, for every route family without its own: logs unexpected
 * errors and answers with {@link sendError}. A path parameter that is no valid percent-encoding
 * matches no route: a 404, as for any other unknown path.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    if (error instanceof URIError) {
      sendError(response, new NotFoundError(`No such endpoint: ${requestUrl(request).pathname}`));
      return;
    }
    logUnexpected(logger, request, error);
    sendError(response, error);
  };
}
