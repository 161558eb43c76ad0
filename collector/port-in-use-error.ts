import { AglError } from '../src/errors/index.ts';

/** Which listener of the collector could not bind its port. */
export type CollectorListener = 'http' | 'grpc' | 'health';

const LISTENER_NAMES: Record<CollectorListener, string> = { http: 'HTTP', grpc: 'OTLP/gRPC', health: 'Health' };

/**
 * The collector could not start: a port it was told to listen on is taken (`EADDRINUSE`). Nothing
 * it opened is left behind (database, decoder threads, the other listener), so the process can
 * exit or try another port.
 */
export class PortInUseError extends AglError {
  /** The listener that could not bind: OTLP/HTTP + store API (`http`), OTLP/gRPC (`grpc`) or the health port (`health`). */
  readonly listener: CollectorListener;
  readonly host: string;
  readonly port: number;

  constructor(listener: CollectorListener, host: string, port: number, options?: { cause?: unknown }) {
    super('port_in_use', 500, `${LISTENER_NAMES[listener]} port ${port} on ${host} is already in use (EADDRINUSE)`, options);
    this.listener = listener;
    this.host = host;
    this.port = port;
  }
}
