import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../src/errors/index.ts';
import type { ByteBudget } from './byte-budget.ts';

const gunzipAsync = promisify(gunzip);

/** Options of {@link readRequestBody}. */
export interface ReadBodyOptions {
  /** The largest body accepted, counted after decompression. */
  maxBytes: number;
  /**
   * When given, every byte read and inflated is reserved from it as it arrives (a refused
   * reservation is a 503). The caller releases `reservedBytes` of the result, or on failure
   * the error's `reservedBytes`: see {@link readRequestBody}.
   */
  budget?: ByteBudget;
}

/** A body and the bytes of the budget it holds. */
export interface RequestBody {
  body: Buffer;
  /** The body as received (still gzipped when it was sent so), e.g. to forward it unchanged. */
  raw: Buffer;
  /** Bytes reserved from the budget for this body (raw and inflated): release them when done. */
  reservedBytes: number;
}

/**
 * Reads the whole body, inflating `Content-Encoding: gzip`. The limit applies both to the bytes on
 * the wire and to the inflated size; inflation stops as soon as the limit is passed, so a
 * decompression bomb costs at most `maxBytes` of memory. Inflation runs on libuv's thread pool.
 */
export async function readRequestBody(request: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { body } = await readRequestBodyWithin(request, options);
  return body;
}

/**
 * {@link readRequestBody}, reserving what it holds from `options.budget`. On failure the
 * reservation is already released; on success the caller releases `reservedBytes`.
 */
export async function readRequestBodyWithin(request: IncomingMessage, options: ReadBodyOptions): Promise<RequestBody> {
  const budget = options.budget;
  let reserved = 0;
  const reserve = (bytes: number) => {
    budget?.reserve(bytes);
    if (budget) reserved += bytes;
  };
  try {
    const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      throw new UnsupportedMediaTypeError(`Unsupported Content-Encoding \`${encoding}\`: use gzip or none`);
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      throw new PayloadTooLargeError(`The body (${declared} bytes) exceeds the limit of ${options.maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > options.maxBytes) {
        throw new PayloadTooLargeError(`The body exceeds the limit of ${options.maxBytes} bytes`);
      }
      reserve(chunk.length);
      chunks.push(chunk);
    }
    const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
    if (encoding === 'identity') return { body: raw, raw, reservedBytes: reserved };
    let inflated: Buffer;
    try {
      inflated = await gunzipAsync(raw, { maxOutputLength: options.maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PayloadTooLargeError(`The inflated body exceeds the limit of ${options.maxBytes} bytes`);
      }
      throw new InvalidRequestError(`The gzip body cannot be inflated: ${(error as Error).message}`, { cause: error });
    }
    reserve(inflated.length);
    return { body: inflated, raw, reservedBytes: reserved };
  } catch (error) {
    budget?.release(reserved);
    throw error;
  }
}

/** The media type of a `Content-Type` header, lowercased and without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}
