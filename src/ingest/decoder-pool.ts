import { Worker } from 'node:worker_threads';
import { InvalidRequestError } from '../errors/index.ts';
import { decodeRecordsRequest } from './decode-records.ts';
import type { DecodedRecords, RecordSignal } from './decode-records.ts';
import { decodeRequest } from './decode-request.ts';
import type { DecodedRequest, OtlpEncoding } from './decode-request.ts';

/** Options of {@link DecoderPool}. */
export interface DecoderPoolOptions {
  /**
   * Decoder threads. 0 decodes on the calling thread. One thread lets decoding (on one core) run
   * beside the DuckDB appends (on the main thread), which is what a 2-core machine can use.
   * @default 1
   */
  threads?: number;
}

/** @internal A request to a decoder thread. */
export interface DecodeJob {
  id: number;
  body: Uint8Array;
  encoding: OtlpEncoding;
  /** Which export request the body is. */
  signal: 'traces' | RecordSignal;
}

/** @internal A decoder thread's answer. */
export type DecodeReply =
  | { id: number; result: DecodedRequest | DecodedRecords }
  | { id: number; error: { invalidRequest: boolean; message: string } };

interface Pending {
  resolve: (result: DecodedRequest | DecodedRecords) => void;
  reject: (error: unknown) => void;
}

interface DecoderThread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves once the thread has loaded its code (or failed). */
  ready: Promise<void>;
}

/**
 * Runs {@link decodeRequest} on worker threads, so that the thread that owns DuckDB spends its
 * time appending. Each job goes to the thread with the fewest jobs in hand; a thread that dies is
 * replaced, and its jobs fail (the client gets a retryable error and sends again).
 */
export class DecoderPool {
  readonly #threads: DecoderThread[] = [];
  readonly #size: number;
  #nextId = 1;
  #closed = false;

  constructor(options: DecoderPoolOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 0) {
      throw new RangeError(`Expected \`threads\` to be an integer ≥ 0, got \`${threads}\``);
    }
    this.#size = threads;
    for (let index = 0; index < threads; index++) this.#threads.push(this.#spawn());
  }

  /** Decodes, maps and builds the rows of one `ExportTraceServiceRequest` body. */
  decode(body: Uint8Array, encoding: OtlpEncoding): Promise<DecodedRequest> {
    return this.#run(body, encoding, 'traces') as Promise<DecodedRequest>;
  }

  /** Decodes, maps and builds the rows of one logs or metrics export request body. */
  decodeRecords(signal: RecordSignal, body: Uint8Array, encoding: OtlpEncoding): Promise<DecodedRecords> {
    return this.#run(body, encoding, signal) as Promise<DecodedRecords>;
  }

  #run(body: Uint8Array, encoding: OtlpEncoding, signal: DecodeJob['signal']): Promise<DecodedRequest | DecodedRecords> {
    if (this.#closed) return Promise.reject(new Error('The decoder pool is closed'));
    if (this.#size === 0) {
      try {
        return Promise.resolve(signal === 'traces' ? decodeRequest(body, encoding) : decodeRecordsRequest(signal, body, encoding));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    let thread = this.#threads[0];
    for (const candidate of this.#threads) if (candidate.pending.size < thread.pending.size) thread = candidate;
    const id = this.#nextId++;
    // A private copy whose memory moves to the thread: the body may share memory with the socket.
    const copy = new Uint8Array(body);
    return new Promise<DecodedRequest | DecodedRecords>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, body: copy, encoding, signal } satisfies DecodeJob, [copy.buffer]);
    });
  }

  /**
   * Resolves once every thread has loaded its code: until then jobs wait in the thread's queue, so
   * a receiver should not take requests before (loading takes up to a second or two).
   */
  async ready(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.ready));
  }

  /** Stops the threads; jobs in hand fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }

  #spawn(): DecoderThread {
    const worker = new Worker(new URL('./decode-worker-bootstrap.mjs', import.meta.url));
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const thread: DecoderThread = { worker, pending: new Map(), ready };
    worker.unref();
    worker.on('message', (reply: DecodeReply | { ready: true }) => {
      if ('ready' in reply) {
        loaded();
        return;
      }
      const pending = thread.pending.get(reply.id);
      if (!pending) return;
      thread.pending.delete(reply.id);
      if ('result' in reply) pending.resolve(reply.result);
      else if (reply.error.invalidRequest) pending.reject(new InvalidRequestError(reply.error.message));
      else pending.reject(new Error(`Decoding failed: ${reply.error.message}`));
    });
    const fail = (error: Error) => {
      loaded();
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
      if (!this.#closed) {
        const index = this.#threads.indexOf(thread);
        if (index >= 0) this.#threads[index] = this.#spawn();
      }
    };
    worker.on('error', (error) => fail(error));
    worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`A decoder thread exited with code ${code}`));
    });
    return thread;
  }
}
