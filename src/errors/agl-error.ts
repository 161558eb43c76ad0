/**
 * The project's error hierarchy. Handlers throw these; one error handler in the collector maps
 * `status` to the HTTP status and `code` to the body. Never match on `message` text.
 */
export interface AglErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
}

/** Base class of every error the project throws on purpose. */
export class AglError extends Error {
  /** A stable machine-readable code, e.g. `invalid_request`. */
  readonly code: string;
  /** The HTTP status this error maps to. */
  readonly status: number;

  constructor(code: string, status: number, message: string, options: AglErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The request is malformed or names something invalid (400). */
export class InvalidRequestError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('invalid_request', 400, message, options);
  }
}

/** Missing or wrong credentials (401). */
export class UnauthorizedError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('unauthorized', 401, message, options);
  }
}

/** The statement or operation is not allowed here (403). */
export class ForbiddenError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('forbidden', 403, message, options);
  }
}

/** The thing asked for does not exist (404). */
export class NotFoundError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('not_found', 404, message, options);
  }
}

/** The method is not supported on this path (405). */
export class MethodNotAllowedError extends AglError {
  /** The methods the path does accept, for the `Allow` header. */
  readonly allow: readonly string[];

  constructor(message: string, allow: readonly string[], options?: AglErrorOptions) {
    super('method_not_allowed', 405, message, options);
    this.allow = allow;
  }
}

/** The request conflicts with the current state (409). */
export class ConflictError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('conflict', 409, message, options);
  }
}

/** The body is larger than allowed (413). */
export class PayloadTooLargeError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('payload_too_large', 413, message, options);
  }
}

/** The content type is not one this endpoint reads (415). */
export class UnsupportedMediaTypeError extends AglError {
  constructor(message: string, options?: AglErrorOptions) {
    super('unsupported_media_type', 415, message, options);
  }
}

/** The server is overloaded; retry after `retryAfterMillis` (429 or 503). */
export class RetryableError extends AglError {
  readonly retryAfterMillis: number;

  constructor(status: 429 | 503, message: string, retryAfterMillis: number, options?: AglErrorOptions) {
    super(status === 429 ? 'too_many_requests' : 'unavailable', status, message, options);
    this.retryAfterMillis = retryAfterMillis;
  }
}

/** A query ran longer than its time limit and was cancelled (408). */
export class QueryTimeoutError extends AglError {
  /** The limit that was reached. */
  readonly timeoutMillis: number;

  constructor(message: string, timeoutMillis: number, options?: AglErrorOptions) {
    super('query_timeout', 408, message, options);
    this.timeoutMillis = timeoutMillis;
  }
}
