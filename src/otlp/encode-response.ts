/**
 * OTLP/HTTP response bodies: `ExportTraceServiceResponse` for accepted exports and
 * `google.rpc.Status` for refused ones, in protobuf or JSON, plus their decoders for tests.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError } from '../errors/index.ts';
import { otlpTypes } from './proto-schema.ts';

/** The two OTLP/HTTP encodings: `application/x-protobuf` and `application/json`. */
export type OtlpFormat = 'protobuf' | 'json';

/** OTLP `ExportTracePartialSuccess`: how many spans were refused, and why. */
export interface ExportTracePartialSuccess {
  /** Spans the server refused (and the client must not retry). */
  rejectedSpans: number;
  /** Why, for humans; may be set with `rejectedSpans: 0` to carry a warning. */
  errorMessage: string;
}

/** OTLP `ExportTraceServiceResponse`. */
export interface ExportTraceServiceResponse {
  /** Present only when something was rejected or there is a warning. */
  partialSuccess?: ExportTracePartialSuccess;
}

/** `google.rpc.Status`, the body of OTLP/HTTP error responses (details are not used). */
export interface RpcStatus {
  /** A gRPC status code, e.g. 3 (`INVALID_ARGUMENT`) or 8 (`RESOURCE_EXHAUSTED`). */
  code: number;
  /** A developer-facing explanation. */
  message: string;
}

/**
 * Encodes the body of a successful export response. `partialSuccess` is included only when
 * `partial` reports rejected spans or carries a message; otherwise the body is the empty message
 * (zero bytes, or `{}` in JSON).
 */
export function encodeExportTraceServiceResponse(
  format: 'protobuf',
  partial?: ExportTracePartialSuccess,
): Uint8Array;
export function encodeExportTraceServiceResponse(format: 'json', partial?: ExportTracePartialSuccess): string;
export function encodeExportTraceServiceResponse(
  format: OtlpFormat,
  partial?: ExportTracePartialSuccess,
): Uint8Array | string;
export function encodeExportTraceServiceResponse(
  format: OtlpFormat,
  partial?: ExportTracePartialSuccess,
): Uint8Array | string {
  const hasPartial = partial !== undefined && (partial.rejectedSpans > 0 || partial.errorMessage !== '');
  if (format === 'json') {
    if (!hasPartial) return '{}';
    // The protobuf JSON mapping writes int64 as a decimal string.
    return JSON.stringify({
      partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage },
    });
  }
  if (!hasPartial) return new Uint8Array(0);
  return otlpTypes.exportTraceServiceResponse
    .encode({ partialSuccess: { rejectedSpans: partial.rejectedSpans, errorMessage: partial.errorMessage } })
    .finish();
}

/** The OTLP signals, each with its own export service. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/** A partial success of any signal: how many items (spans, log records, data points) were refused, and why. */
export interface ExportPartialSuccess {
  rejected: number;
  errorMessage: string;
}

const RESPONSE_TYPES = {
  traces: { type: () => otlpTypes.exportTraceServiceResponse, field: 'rejectedSpans' },
  logs: { type: () => otlpTypes.exportLogsServiceResponse, field: 'rejectedLogRecords' },
  metrics: { type: () => otlpTypes.exportMetricsServiceResponse, field: 'rejectedDataPoints' },
} as const;

/**
 * Encodes the body of a successful export response of `signal` (`ExportTraceServiceResponse`,
 * `ExportLogsServiceResponse`, `ExportMetricsServiceResponse`), with `partialSuccess` only when
 * something was rejected or there is a message.
 */
export function encodeExportResponse(signal: OtlpSignal, format: OtlpFormat, partial?: ExportPartialSuccess): Uint8Array | string {
  const { type, field } = RESPONSE_TYPES[signal];
  const hasPartial = partial !== undefined && (partial.rejected > 0 || partial.errorMessage !== '');
  if (format === 'json') {
    if (!hasPartial) return '{}';
    // The protobuf JSON mapping writes int64 as a decimal string.
    return JSON.stringify({ partialSuccess: { [field]: String(partial.rejected), errorMessage: partial.errorMessage } });
  }
  if (!hasPartial) return new Uint8Array(0);
  return type().encode({ partialSuccess: { [field]: partial.rejected, errorMessage: partial.errorMessage } }).finish();
}

/**
 * Decodes a logs or metrics export response body (what an exporter receives): the rejected count
 * and message of its partial success, if any.
 *
 * @throws {InvalidRequestError} when the body cannot be decoded.
 */
export function decodeExportResponse(signal: OtlpSignal, body: Uint8Array | string, format: OtlpFormat = 'protobuf'): { partialSuccess?: ExportPartialSuccess } {
  const { type, field } = RESPONSE_TYPES[signal];
  let message: Record<string, unknown>;
  try {
    if (format === 'json') {
      message = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as Record<string, unknown>;
    } else {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
      message = type().toObject(type().decode(bytes), { longs: Number, defaults: false });
    }
  } catch (error) {
    throw new InvalidRequestError(`Cannot decode the body as a ${format} ${signal} export response: ${(error as Error).message}`, { cause: error });
  }
  const partial = (message.partialSuccess ?? message.partial_success) as Record<string, unknown> | undefined;
  if (typeof partial !== 'object' || partial === null) return {};
  const snake = field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return { partialSuccess: { rejected: toCount(partial[field] ?? partial[snake]), errorMessage: String(partial.errorMessage ?? partial.error_message ?? '') } };
}

/** Encodes a `google.rpc.Status` body for a 4xx/5xx OTLP/HTTP response. */
export function encodeRpcStatus(format: 'protobuf', code: number, message: string): Uint8Array;
export function encodeRpcStatus(format: 'json', code: number, message: string): string;
export function encodeRpcStatus(format: OtlpFormat, code: number, message: string): Uint8Array | string;
export function encodeRpcStatus(format: OtlpFormat, code: number, message: string): Uint8Array | string {
  if (format === 'json') return JSON.stringify({ code, message });
  return otlpTypes.rpcStatus.encode({ code, message }).finish();
}

/**
 * Decodes an `ExportTraceServiceResponse` body (what an exporter receives), e.g. to check a
 * collector's answer in tests. JSON `rejectedSpans` may be a number or a decimal string.
 *
 * @throws {InvalidRequestError} when the body cannot be decoded.
 */
export function decodeExportTraceServiceResponse(
  body: Uint8Array | string,
  format: OtlpFormat = 'protobuf',
): ExportTraceServiceResponse {
  const message = decodeMessage(body, format, 'ExportTraceServiceResponse');
  const partial = message.partialSuccess ?? message.partial_success;
  if (typeof partial !== 'object' || partial === null) return {};
  const fields = partial as Record<string, unknown>;
  return {
    partialSuccess: {
      rejectedSpans: toCount(fields.rejectedSpans ?? fields.rejected_spans),
      errorMessage: String(fields.errorMessage ?? fields.error_message ?? ''),
    },
  };
}

/**
 * Decodes a `google.rpc.Status` body (what an exporter receives with a 4xx/5xx status).
 *
 * @throws {InvalidRequestError} when the body cannot be decoded.
 */
export function decodeRpcStatus(body: Uint8Array | string, format: OtlpFormat = 'protobuf'): RpcStatus {
  const message = decodeMessage(body, format, 'google.rpc.Status');
  return { code: Number(message.code ?? 0), message: String(message.message ?? '') };
}

function decodeMessage(body: Uint8Array | string, format: OtlpFormat, subject: string): Record<string, unknown> {
  try {
    if (format === 'json') {
      const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not a JSON object');
      return value as Record<string, unknown>;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
    const type = subject === 'google.rpc.Status' ? otlpTypes.rpcStatus : otlpTypes.exportTraceServiceResponse;
    // toObject turns int64 Longs into numbers (safe for counts) and drops absent fields.
    return type.toObject(type.decode(bytes), { longs: Number, defaults: false });
  } catch (error) {
    throw new InvalidRequestError(`Cannot decode the body as a ${format} ${subject}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function toCount(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  return 0;
}
