// The body of a decoder thread: runs `decodeRequest` for the pool in `decoder-pool.ts`.
import { parentPort } from 'node:worker_threads';
import { InvalidRequestError } from '../errors/index.ts';
import { recordRowsTransferables, spanRowsTransferables } from '../storage/index.ts';
import { decodeRecordsRequest } from './decode-records.ts';
import { decodeRequest } from './decode-request.ts';
import type { DecodeJob, DecodeReply } from './decoder-pool.ts';

parentPort!.on('message', (job: DecodeJob) => {
  let reply: DecodeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    if (job.signal === 'traces') {
      const result = decodeRequest(job.body, job.encoding);
      reply = { id: job.id, result };
      // The rows' typed arrays move to the main thread instead of being copied.
      transfer = spanRowsTransferables(result.rows);
    } else {
      const result = decodeRecordsRequest(job.signal, job.body, job.encoding);
      reply = { id: job.id, result };
      transfer = recordRowsTransferables(result.rows);
    }
  } catch (error) {
    reply = {
      id: job.id,
      error: { invalidRequest: error instanceof InvalidRequestError, message: (error as Error).message ?? String(error) },
    };
  }
  parentPort!.postMessage(reply, transfer);
});

// Loaded (decoders, mappers and the TypeScript loader included): the pool may count on this thread.
parentPort!.postMessage({ ready: true });
