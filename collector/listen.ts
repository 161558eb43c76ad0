import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { PortInUseError } from './port-in-use-error.ts';

/** Listens on `port`; rejects with the system's error (e.g. `EADDRINUSE`). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The base URL of a listener on `host`, e.g. `http://127.0.0.1:4318`; an IPv6 address is put in brackets (`http://[::1]:4318`). */
export function listenerUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Throws {@link PortInUseError} when `port` on `host` is taken (binds it for a moment, then lets it go). */
export async function assertPortFree(host: string, port: number): Promise<void> {
  const probe = createNetServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host, exclusive: true }, () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('grpc', host, port, { cause: error });
    throw error;
  } finally {
    if (probe.listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}
