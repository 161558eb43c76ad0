// google.rpc.Code values (the same numbers as gRPC status codes).
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

/**
 * The `google.rpc.Code` (= gRPC status code) of a failed OTLP export with this HTTP status, as the
 * OTLP/HTTP and OTLP/gRPC specifications pair them: the one mapping the OTLP/HTTP `Status` bodies
 * and the gRPC receiver's errors share.
 */
export function otlpStatusCode(httpStatus: number): number {
  if (httpStatus === 401) return UNAUTHENTICATED;
  if (httpStatus === 403) return PERMISSION_DENIED;
  if (httpStatus === 413 || httpStatus === 429) return RESOURCE_EXHAUSTED;
  if (httpStatus === 503) return UNAVAILABLE;
  return httpStatus >= 500 ? INTERNAL : INVALID_ARGUMENT;
}
