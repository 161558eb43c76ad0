import { Metadata, Server, ServerCredentials, ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerInterceptor, ServerUnaryCall, ServiceDefinition, ServiceError } from '@grpc/grpc-js';
import { AglError, RetryableError } from '../../src/errors/index.ts';
import type { OtlpForwarder } from '../../src/forward/index.ts';
import type { RecordIngestor, TraceIngestor } from '../../src/ingest/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { encodeExportResponse, encodeExportTraceServiceResponse } from '../../src/otlp/index.ts';
import type { ByteBudget } from '../http/byte-budget.ts';
import { otlpStatusCode } from '../otlp-status-code.ts';

/** Options of {@link OtlpGrpcReceiver.start}. */
export interface OtlpGrpcReceiverOptions {
  /** Where request bodies go: the same path as OTLP/HTTP. */
  ingestor: TraceIngestor;
  /** Where `LogsService/Export` bodies go; without it the service is not offered. */
  logsIngestor?: RecordIngestor | null;
  /** Where `MetricsService/Export` bodies go; without it the service is not offered. */
  metricsIngestor?: RecordIngestor | null;
  /** The interface to bind. */
  host: string;
  /** The port; 0 picks a free one. */
  port: number;
  /** The largest request message, counted after decompression (a larger one is `RESOURCE_EXHAUSTED`). */
  maxBodyBytes: number;
  /**
   * The bytes of requests being decoded at once, shared with the HTTP receiver; a request that
   * would exceed it is `UNAVAILABLE`.
   */
  budget: ByteBudget;
  /**
   * Whether a call's `authorization` metadata is acceptable; a call it refuses is `UNAUTHENTICATED`,
   * answered from the metadata alone, before any of its message is read.
   * @default every call is accepted
   */
  isAuthorized?: (authorization: string | undefined) => boolean;
  /** When set, every accepted request is queued for forwarding as `application/x-protobuf`. */
  forwarder?: OtlpForwarder | null;
  /** Told about unexpected failures (answered `INTERNAL`). */
  logger: Logger;
}

/** The OTLP/gRPC trace export method. */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** The OTLP/gRPC logs export method. */
export const LOGS_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
/** The OTLP/gRPC metrics export method. */
export const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const identity = (bytes: Buffer): Buffer => bytes;

/** A raw-bytes unary service with one `Export` method at `path`. */
function rawExportService(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

/** `LogsService` with raw bytes both ways (see {@link RAW_TRACE_SERVICE}). */
export const RAW_LOGS_SERVICE: ServiceDefinition = rawExportService(LOGS_EXPORT_PATH);
/** `MetricsService` with raw bytes both ways (see {@link RAW_TRACE_SERVICE}). */
export const RAW_METRICS_SERVICE: ServiceDefinition = rawExportService(METRICS_EXPORT_PATH);

/**
 * `TraceService` with raw bytes both ways: the request bytes go to `TraceIngestor.ingest` exactly
 * as an OTLP/HTTP protobuf body would, so that both transports share one decoder. Usable by
 * clients too (`makeGenericClientConstructor`).
 */
export const RAW_TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'export',
  },
};

/**
 * The OTLP/gRPC receiver (`TraceService/Export`): the OTLP/HTTP semantics over gRPC. A request is
 * acknowledged (`OK`, with `partial_success` when spans were rejected) only once its spans are
 * durable; an undecodable one is `INVALID_ARGUMENT`, a too large one `RESOURCE_EXHAUSTED` (from
 * grpc-js), an overloaded collector or a storage failure `UNAVAILABLE` with a `RetryInfo`, a
 * missing token `UNAUTHENTICATED`.
 */
export class OtlpGrpcReceiver {
  /** Where exporters point, e.g. `http://127.0.0.1:4317`. */
  readonly url: string;
  readonly #server: Server;
  #closing: Promise<void> | null = null;

  private constructor(url: string, server: Server) {
    this.url = url;
    this.#server = server;
  }

  /** Binds the port and starts serving. */
  static async start(options: OtlpGrpcReceiverOptions): Promise<OtlpGrpcReceiver> {
    const server = new Server({
      'grpc.max_receive_message_length': options.maxBodyBytes,
      'grpc.max_send_message_length': 1024 * 1024,
      interceptors: options.isAuthorized ? [authorizationInterceptor(options.isAuthorized)] : [],
    });
    const { budget } = options;
    server.addService(RAW_TRACE_SERVICE, {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        exportTraces(call, options, budget).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error, options.logger)),
        );
      },
    });
    for (const [service, ingestor] of [
      [RAW_LOGS_SERVICE, options.logsIngestor],
      [RAW_METRICS_SERVICE, options.metricsIngestor],
    ] as const) {
      if (!ingestor) continue;
      server.addService(service, {
        Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
          exportRecords(call, ingestor, options, budget).then(
            (response) => callback(null, response),
            (error: unknown) => callback(toServiceError(error, options.logger)),
          );
        },
      });
    }
    const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${shownHost}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    return new OtlpGrpcReceiver(`http://${shownHost}:${port}`, server);
  }

  /**
   * Stops taking calls and lets the ones under way finish (they are answered once their spans are
   * durable); after `timeoutMillis` the rest are cancelled. Idempotent.
   */
  close(timeoutMillis = 10_000): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, timeoutMillis);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return this.#closing;
  }
}

async function exportTraces(
  call: ServerUnaryCall<Buffer, Buffer>,
  options: OtlpGrpcReceiverOptions,
  budget: ByteBudget,
): Promise<Buffer> {
  // The token was checked by authorizationInterceptor before the message was read.
  const body = call.request;
  // grpc-js has read (and inflated) the whole message already; what counts now is the decoding.
  budget.reserve(body.byteLength);
  try {
    const result = await options.ingestor.ingest(body, 'protobuf');
    if (result.kind === 'retryable') throw new RetryableError(503, result.message, result.retryAfterMillis);
    const partial =
      result.kind === 'partial' ? { rejectedSpans: result.rejectedSpans, errorMessage: result.message } : undefined;
    // enqueue() copies, never waits and never throws.
    options.forwarder?.enqueue(body, { 'content-type': 'application/x-protobuf' });
    const response = encodeExportTraceServiceResponse('protobuf', partial);
    return Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  } finally {
    budget.release(body.byteLength);
  }
}

/** `LogsService/Export` and `MetricsService/Export`: {@link exportTraces} for the other signals. */
async function exportRecords(
  call: ServerUnaryCall<Buffer, Buffer>,
  ingestor: RecordIngestor,
  options: OtlpGrpcReceiverOptions,
  budget: ByteBudget,
): Promise<Buffer> {
  const body = call.request;
  budget.reserve(body.byteLength);
  try {
    const result = await ingestor.ingest(body, 'protobuf');
    if (result.kind === 'retryable') throw new RetryableError(503, result.message, result.retryAfterMillis);
    const partial = result.kind === 'partial' ? { rejected: result.rejected, errorMessage: result.message } : undefined;
    options.forwarder?.enqueue(body, { 'content-type': 'application/x-protobuf' }, ingestor.signal);
    const response = encodeExportResponse(ingestor.signal, 'protobuf', partial) as Uint8Array;
    return Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  } finally {
    budget.release(body.byteLength);
  }
}

/**
 * Checks a call's `authorization` metadata as soon as its headers arrive, before grpc-js reads the
 * message: a refused call is answered `UNAUTHENTICATED` at once and its message is discarded as it
 * streams in, never buffered (the handler asks for the message only after the metadata passes).
 */
function authorizationInterceptor(isAuthorized: (authorization: string | undefined) => boolean): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const [authorization] = metadata.get('authorization');
            if (isAuthorized(typeof authorization === 'string' ? authorization : undefined)) {
              pass(metadata);
            } else {
              call.sendStatus({ code: status.UNAUTHENTICATED, details: 'Missing or wrong `authorization: Bearer <token>` metadata' });
            }
          },
        }),
    });
}

function grpcError(code: status | number, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

/** The gRPC status of a failed export, as the OTLP/gRPC spec pairs them with OTLP/HTTP's. */
function toServiceError(error: unknown, logger: Logger): Partial<ServiceError> {
  if (isServiceError(error)) return error;
  if (!(error instanceof AglError)) {
    logger.error('OTLP/gRPC export failed', error);
    return grpcError(status.INTERNAL, 'Internal error');
  }
  if (error instanceof RetryableError) {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', retryStatusDetails(status.UNAVAILABLE, error.message, error.retryAfterMillis));
    return grpcError(status.UNAVAILABLE, error.message, metadata);
  }
  return grpcError(otlpStatusCode(error.status), error.message);
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'metadata' in error;
}

/**
 * A `google.rpc.Status` carrying a `google.rpc.RetryInfo` detail, the form in which OTLP/gRPC says
 * how long to wait before retrying. Encoded by hand: three small messages.
 */
export function retryStatusDetails(code: number, message: string, retryAfterMillis: number): Buffer {
  const seconds = Math.floor(retryAfterMillis / 1000);
  const nanos = Math.round((retryAfterMillis % 1000) * 1_000_000);
  const duration = Buffer.concat([varintField(1, seconds), varintField(2, nanos)]);
  const retryInfo = bytesField(1, duration);
  const any = Buffer.concat([
    bytesField(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')),
    bytesField(2, retryInfo),
  ]);
  return Buffer.concat([varintField(1, code), bytesField(2, Buffer.from(message)), bytesField(3, any)]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function varintField(field: number, value: number): Buffer {
  return value === 0 ? Buffer.alloc(0) : Buffer.concat([varint(field << 3), varint(value)]);
}

function bytesField(field: number, value: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(value.byteLength), value]);
}
