import type { ServerResponse } from 'node:http';
import { PayloadTooLargeError, RetryableError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import type { OtlpEncoding, TraceIngestor } from '../../src/ingest/index.ts';
import { encodeExportTraceServiceResponse, encodeRpcStatus } from '../../src/otlp/index.ts';
import { mediaType, readRequestBody } from '../http/request-body.ts';
import { errorStatus, sendBody } from '../http/respond.ts';
import type { RouteHandler } from '../http/router.ts';

/** Options of {@link otlpTracesHandler}. */
export interface OtlpTracesOptions {
  ingestor: TraceIngestor;
  /** The largest body, counted after decompression. */
  maxBodyBytes: number;
  /** Bodies being read or decoded at once may hold at most this many bytes; more is a 503. */
  maxInFlightBytes: number;
}

const CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

// google.rpc.Code values used in Status bodies.
const RPC_INVALID_ARGUMENT = 3;
const RPC_RESOURCE_EXHAUSTED = 8;
const RPC_UNAVAILABLE = 14;
const RPC_INTERNAL = 13;

/** `POST /v1/traces`: OTLP/HTTP, protobuf or JSON, gzip or not; answers in the request's encoding. */
export function otlpTracesHandler(options: OtlpTracesOptions): RouteHandler {
  let inFlightBytes = 0;
  return async ({ request, response }) => {
    const type = mediaType(request.headers['content-type']);
    const encoding: OtlpEncoding | null =
      type === 'application/x-protobuf' || type === 'application/protobuf'
        ? 'protobuf'
        : type === 'application/json'
          ? 'json'
          : null;
    if (encoding === null) {
      request.resume();
      const error = new UnsupportedMediaTypeError(
        `Unsupported Content-Type \`${type || '(none)'}\`: send application/x-protobuf or application/json`,
      );
      return sendStatus(response, 'json', error);
    }
    const declared = Number(request.headers['content-length']) || 0;
    if (declared > 0 && inFlightBytes > 0 && inFlightBytes + declared > options.maxInFlightBytes) {
      request.resume();
      const error = new RetryableError(503, 'The collector is overloaded (too many bytes in flight)', 1000);
      return sendStatus(response, encoding, error);
    }
    inFlightBytes += declared;
    try {
      const body = await readRequestBody(request, { maxBytes: options.maxBodyBytes });
      const result = await options.ingestor.ingest(body, encoding);
      if (result.kind === 'retryable') {
        return sendStatus(response, encoding, new RetryableError(503, result.message, result.retryAfterMillis));
      }
      const partial =
        result.kind === 'partial' ? { rejectedSpans: result.rejectedSpans, errorMessage: result.message } : undefined;
      sendBody(response, 200, CONTENT_TYPES[encoding], encodeExportTraceServiceResponse(encoding, partial));
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        // The rest of the body is not read: close the connection once the answer is out.
        response.setHeader('connection', 'close');
      }
      sendStatus(response, encoding, error);
    } finally {
      inFlightBytes -= declared;
    }
  };
}

/** Answers an error with a `google.rpc.Status` body in the request's encoding. */
function sendStatus(response: ServerResponse, encoding: OtlpEncoding, error: unknown): void {
  const { status, headers, message } = errorStatus(error);
  const code =
    status === 503 ? RPC_UNAVAILABLE : status === 429 || status === 413 ? RPC_RESOURCE_EXHAUSTED : status >= 500 ? RPC_INTERNAL : RPC_INVALID_ARGUMENT;
  sendBody(response, status, CONTENT_TYPES[encoding], encodeRpcStatus(encoding, code, message), headers);
}
