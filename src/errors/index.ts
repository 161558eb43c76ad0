export {
  AglError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  QueryTimeoutError,
  RetryableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './agl-error.ts';
export type { AglErrorOptions } from './agl-error.ts';
