export {
  AglError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RetryableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './agl-error.ts';
export type { AglErrorOptions } from './agl-error.ts';
