import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { PayloadTooLargeError, RetryableError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import type { OtlpForwarder } from '../../src/forward/index.ts';
import type { OtlpEncoding, RetryableAnswer } from '../../src/ingest/index.ts';
import { encodeExportResponse, encodeRpcStatus } from '../../src/otlp/index.ts';
import type { OtlpSignal } from '../../src/otlp/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import type { ByteBudget } from '../http/byte-budget.ts';
import { mediaType, readRequestBodyWithin } from '../http/request-body.ts';
import { errorStatus, logUnexpected, sendBody } from '../http/respond.ts';
import { requestUrl } from '../http/route-table.ts';
import type { RouteHandler } from '../http/route-table.ts';
import { otlpStatusCode } from '../otlp-status-code.ts';

/** What an OTLP export route answers for an ingested request: all stored, some rejected, or try later. */
export type ExportOutcome =
  | { kind: 'accepted' }
  | { kind: 'partial'; rejected: number; message: string }
  | RetryableAnswer;

/** The ingest side of one signal, as {@link otlpExportHandler} drives it. */
export interface OtlpExportIngest {
  /** See `TraceIngestor.admit`: a refusal before the body is read. */
  admit(bytes: number, options: { receivedAt: number }): RetryableAnswer | null;
  /** Decodes and stores one export request body; throws `InvalidRequestError` for an undecodable one. */
  ingest(body: Uint8Array, encoding: OtlpEncoding, options: { receivedAt: number }): Promise<ExportOutcome>;
}

/** Options of {@link otlpExportHandler}. */
export interface OtlpExportOptions {
  /** Which signal the route takes: names the response message and the forwarding path. */
  signal: OtlpSignal;
  ingest: OtlpExportIngest;
  /** The largest body, counted after decompression. */
  maxBodyBytes: number;
  /**
   * The bytes of bodies being read or decoded at once, shared by every receiver; a request that
   * would exceed it is a 503.
   */
  budget: ByteBudget;
  /** When set, every accepted request (200 or partial) is queued for forwarding, body as received. */
  forwarder?: OtlpForwarder | null;
}

const CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/**
 * `POST /v1/traces`, `/v1/logs`, `/v1/metrics`: OTLP/HTTP, protobuf or JSON, gzip or not; answers in
 * the request's encoding. 200 once the request is durable (with `partial_success` when records were
 * rejected), 400 for an undecodable body, 413 beyond `maxBodyBytes`, 415 for another content type,
 * 503 with `Retry-After` under overload.
 */
export function otlpExportHandler(options: OtlpExportOptions): RouteHandler {
  const { budget, signal } = options;
  return async ({ request, response }) => {
    const encoding = otlpEncoding(request);
    if (encoding === null) {
      const type = mediaType(request.headers['content-type']);
      request.resume();
      throw new UnsupportedMediaTypeError(`Unsupported Content-Type \`${type || '(none)'}\`: send application/x-protobuf or application/json`);
    }
    const receivedAt = Date.now();
    // Refused before the body is read when the collector is already behind: the body is then
    // discarded as it arrives (the connection stays usable) instead of being held and decoded.
    const declared = Number(request.headers['content-length']);
    const identity = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase() === 'identity';
    const early = options.ingest.admit(identity && Number.isFinite(declared) ? declared : 0, { receivedAt });
    if (early) {
      request.resume();
      throw new RetryableError(503, early.message, early.retryAfterMillis);
    }
    let reservedBytes = 0;
    let raw: Buffer;
    let result: ExportOutcome;
    try {
      let body;
      ({ body, raw, reservedBytes } = await readRequestBodyWithin(request, { maxBytes: options.maxBodyBytes, budget }));
      result = await options.ingest.ingest(body, encoding, { receivedAt });
    } catch (error) {
      // The rest of the body is not read: close the connection once the answer is out.
      if (error instanceof PayloadTooLargeError || error instanceof RetryableError) response.setHeader('connection', 'close');
      throw error;
    } finally {
      budget.release(reservedBytes);
    }
    if (result.kind === 'retryable') throw new RetryableError(503, result.message, result.retryAfterMillis);
    const partial = result.kind === 'partial' ? { rejected: result.rejected, errorMessage: result.message } : undefined;
    sendBody(response, 200, CONTENT_TYPES[encoding], encodeExportResponse(signal, encoding, partial));
    // After the answer: enqueue() copies, never waits and never throws.
    options.forwarder?.enqueue(
      raw,
      { 'content-type': request.headers['content-type'], 'content-encoding': request.headers['content-encoding'] },
      signal,
    );
  };
}

/** The OTLP encoding a request's `Content-Type` names, or `null` for any other type. */
function otlpEncoding(request: IncomingMessage): OtlpEncoding | null {
  const type = mediaType(request.headers['content-type']);
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  return type === 'application/json' ? 'json' : null;
}

/** The OTLP/HTTP export paths. */
export const OTLP_EXPORT_PATHS: ReadonlySet<string> = new Set(['/v1/traces', '/v1/logs', '/v1/metrics']);

/**
 * The OTLP family's error handler: OTLP/HTTP wants every 4xx/5xx answer to an export (a refused
 * origin, a missing token, a body too large, an overload) as a `google.rpc.Status` body in the
 * request's encoding (JSON when the request named no OTLP type). Errors of other requests pass on.
 */
export function otlpErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (request.method !== 'POST' || !OTLP_EXPORT_PATHS.has(requestUrl(request).pathname)) {
      next(error);
      return;
    }
    logUnexpected(logger, request, error);
    if (response.headersSent) {
      response.destroy();
      return;
    }
    sendStatus(response, otlpEncoding(request) ?? 'json', error);
  };
}

/** Answers an error with a `google.rpc.Status` body in the request's encoding. */
function sendStatus(response: ServerResponse, encoding: OtlpEncoding, error: unknown): void {
  const { status, headers, message } = errorStatus(error);
  sendBody(response, status, CONTENT_TYPES[encoding], encodeRpcStatus(encoding, otlpStatusCode(status), message), headers);
}
