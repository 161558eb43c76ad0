// The body of a decoder thread: runs `decodeRequest` for the pool in `decoder-pool.ts`.
import { parentPort } from 'node:worker_threads';
import { InvalidRequestError } from '../errors/index.ts';
import { decodeRequest } from './decode-request.ts';
import type { DecodeJob, DecodeReply } from './decoder-pool.ts';

parentPort!.on('message', (job: DecodeJob) => {
  let reply: DecodeReply;
  try {
    reply = { id: job.id, result: decodeRequest(job.body, job.encoding) };
  } catch (error) {
    reply = {
      id: job.id,
      error: { invalidRequest: error instanceof InvalidRequestError, message: (error as Error).message ?? String(error) },
    };
  }
  parentPort!.postMessage(reply);
});
