import { Worker } from 'node:worker_threads';
import { listenerUrl } from '../listen.ts';
import { PortInUseError } from '../port-in-use-error.ts';
import type { HealthWorkerData, HealthWorkerMessage } from './health-protocol.ts';

/** Options of {@link HealthListener.start}. */
export interface HealthListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** See `RequestGuardOptions.corsOrigins`: the same guard as the main port's. */
  corsOrigins?: readonly string[];
  /**
   * Health answers 503 (`stalled`) once the collector's event loop has not turned for this long.
   * @default 5000
   */
  stallMillis?: number;
}

// How often the main thread's heartbeat is written: a turn of the event loop at least this often.
const HEARTBEAT_MILLIS = 100;

/**
 * The health port (`agl serve --health-port`): `GET /v1/agl/health` alone, served by a thread of its
 * own. libuv accepts one connection per event-loop turn and listener, and under load the collector's
 * turns last tens of milliseconds, so a probe that opens a new connection per check (curl, Docker,
 * Kubernetes) would wait behind the flood for its accept and then for its answer; the thread
 * accepts and answers at once. Its answer is about the collector: 200 while the main thread's
 * heartbeat (written every 100 ms into shared memory) is fresh, 503 `stalled` once it is older than
 * `stallMillis`.
 */
export class HealthListener {
  /** The base URL, e.g. `http://127.0.0.1:13133`. */
  readonly url: string;
  readonly #worker: Worker;
  readonly #beating: NodeJS.Timeout;
  #closing: Promise<void> | null = null;

  private constructor(url: string, worker: Worker, beating: NodeJS.Timeout) {
    this.url = url;
    this.#worker = worker;
    this.#beating = beating;
  }

  /** Starts the thread and resolves once it listens; a taken port is a {@link PortInUseError}. */
  static async start(options: HealthListenerOptions): Promise<HealthListener> {
    const heartbeat = new SharedArrayBuffer(8);
    const beat = new BigInt64Array(heartbeat);
    const touch = () => Atomics.store(beat, 0, BigInt(Date.now()));
    touch();
    const data: HealthWorkerData = {
      host: options.host,
      port: options.port,
      corsOrigins: [...(options.corsOrigins ?? [])],
      heartbeat,
      stallMillis: options.stallMillis ?? 5000,
    };
    const worker = new Worker(new URL('./health-worker-bootstrap.mjs', import.meta.url), { workerData: data });
    const message = await new Promise<HealthWorkerMessage>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`The health thread exited (${code}) before it listened`)));
    });
    worker.removeAllListeners();
    if (message.kind === 'failed') {
      await worker.terminate();
      const error = Object.assign(new Error(message.message), { code: message.code });
      if (message.code === 'EADDRINUSE') throw new PortInUseError('health', options.host, options.port, { cause: error });
      throw error;
    }
    worker.unref();
    const beating = setInterval(touch, HEARTBEAT_MILLIS);
    beating.unref();
    return new HealthListener(listenerUrl(options.host, message.port), worker, beating);
  }

  /** Stops listening (open connections are closed) and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#beating);
      const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
      this.#worker.postMessage('close');
      const timer = setTimeout(() => void this.#worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    })();
    return this.#closing;
  }
}
