import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import type { ChannelOptions, Client, ServiceError } from '@grpc/grpc-js';
import { RAW_TRACE_SERVICE } from '../../collector/grpc/index.ts';

/** The outcome of one raw `TraceService/Export` call. */
export type RawCallResult = { ok: true; response: Buffer } | { ok: false; error: ServiceError };

const TraceServiceClient = makeGenericClientConstructor(RAW_TRACE_SERVICE, 'TraceService');

/** A gRPC client that sends hand-built bytes to `TraceService/Export` (same raw service as the receiver). */
export function rawTraceClient(grpcUrl: string, options: ChannelOptions = {}): Client {
  return new TraceServiceClient(grpcUrl.replace(/^http:\/\//, ''), credentials.createInsecure(), options);
}

/** One `Export` call with `body` as the request message. */
export function exportRaw(client: Client, body: Uint8Array, headers: Record<string, string> = {}): Promise<RawCallResult> {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  const call = (client as unknown as Record<string, (...args: unknown[]) => unknown>).Export.bind(client);
  return new Promise((resolve) => {
    call(Buffer.from(body), metadata, { deadline: Date.now() + 10_000 }, (error: ServiceError | null, response: Buffer) =>
      resolve(error ? { ok: false, error } : { ok: true, response }),
    );
  });
}
