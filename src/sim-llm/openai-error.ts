import type { ServerResponse } from 'node:http';
import { AglError, RetryableError } from '../errors/index.ts';

/** The OpenAI error `type` for an HTTP status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The OpenAI error `code` for one of our errors. */
function errorCode(error: AglError): string | null {
  if (error.status === 429) return 'rate_limit_exceeded';
  if (error.status >= 500) return null;
  return error.code;
}

/**
 * Sends an error as OpenAI does: `{error: {message, type, param, code}}` with the status of the
 * `AglError` (500 for anything else), and `Retry-After` / `retry-after-ms` for retryable ones.
 */
export function sendOpenAiError(response: ServerResponse, error: unknown): void {
  const known = error instanceof AglError ? error : undefined;
  const status = known?.status ?? 500;
  const headers: Record<string, string> = {};
  if (error instanceof RetryableError) {
    headers['retry-after'] = String(Math.max(0, Math.ceil(error.retryAfterMillis / 1000)));
    headers['retry-after-ms'] = String(error.retryAfterMillis);
  }
  if (known && 'allow' in known && Array.isArray((known as { allow?: unknown }).allow)) headers.allow = (known as unknown as { allow: string[] }).allow.join(', ');
  const body = {
    error: {
      message: known?.message ?? 'The simulated server had an error while processing your request.',
      type: errorType(status),
      param: null,
      code: known ? errorCode(known) : null,
    },
  };
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
