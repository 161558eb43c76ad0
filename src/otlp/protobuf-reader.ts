/**
 * The reading primitives of the binary protobuf decoder (`decode-protobuf.ts`): the protobufjs
 * `Reader` it drives by hand, narrowed to one embedded message at a time, and the helpers that
 * read fields without protobufjs's allocations (`fixed64` without a `Long`, short strings through
 * a cache, ids checked in place), and the error a malformed body becomes.
 */
import { Buffer } from 'node:buffer';
import protobuf from 'protobufjs';
import { InvalidRequestError } from '../errors/index.ts';

// Node's own Buffer slicers: `toString(encoding, start, end)` dispatches on the encoding name on
// every call, which is measurable when a request holds tens of thousands of short strings.
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

/** protobufjs's Node reader; it is always given a Buffer here, so `buf` has Node's slicers. */
export interface BodyReader extends protobuf.BufferReader {
  buf: SlicingBuffer;
}

/** What a read past the end of the body or of an embedded message reports. */
export const TRUNCATED = 'the data is truncated or a length is out of range';
/** Wire type of varints (`int32`, `uint32`, `int64`, `bool`, enums). */
const VARINT = 0;
const TWO_POW_32 = 4294967296;
/** Below this high word, `high * 2^32 + low` is an exact double. */
const SAFE_HIGH_WORD = 0x200000;

/** Longest string {@link cachedString} caches. */
const MAX_CACHED_STRING_BYTES = 48;
const STRING_CACHE_MASK = 4095;
// Shared by all requests: it only ever maps bytes to the string they decode to, so a stale or
// overwritten slot costs a miss, never a wrong answer. Bounded at 4096 short strings.
const stringCache: (string | undefined)[] = new Array(STRING_CACHE_MASK + 1).fill(undefined);

/**
 * Reads the length prefix of an embedded message and narrows the reader to it, as protobufjs's
 * generated decoders do, so that any read past the message's end fails. Returns the enclosing
 * length, which the caller restores once `reader.pos` reaches the narrowed `reader.len`.
 */
export function enterMessage(reader: BodyReader): number {
  const outerLen = reader.len;
  const end = reader.size() + reader.pos;
  if (end > outerLen) throw decodeError(reader, TRUNCATED);
  reader.len = end;
  return outerLen;
}

/** Skips the value of a field that was not read (unknown, or a known field with another wire type). */
export function skipField(reader: BodyReader, tag: number): void {
  // `skip()` steps over a varint of any length; reading it refuses one longer than ten bytes.
  // Field number 0 goes to `skipType()`, which refuses it.
  if ((tag & 7) === VARINT && tag > 7) reader.uint32();
  else reader.skipType(tag & 7, 0, tag >>> 3);
}

/**
 * Reads a `fixed64` as an exact unsigned `bigint`, as two `fixed32` halves (`Reader.fixed64()`
 * would allocate a `Long`).
 */
export function readFixed64(reader: BodyReader): bigint {
  const low = reader.fixed32();
  const high = reader.fixed32();
  if (high < SAFE_HIGH_WORD) return BigInt(high * TWO_POW_32 + low);
  return BigInt(high * TWO_POW_32) + BigInt(low);
}

/** The signed 64-bit integer with these 32-bit halves, as a `number` when safe, else a `bigint`. */
export function toInt64(low: number, high: number): number | bigint {
  const value = (high | 0) * TWO_POW_32 + (low >>> 0);
  // Inside the safe range the double arithmetic above is exact; outside it may have rounded.
  if (Number.isSafeInteger(value)) return value;
  return (BigInt(high | 0) << 32n) | BigInt(low >>> 0);
}

/**
 * Like `reader.string()`, for strings that tend to repeat (attribute keys, span and event names,
 * short values): short ASCII strings come from a small cache, so that a request repeating the same
 * keys on every span decodes each one once.
 */
export function cachedString(reader: BodyReader): string {
  const length = reader.size();
  const start = reader.pos;
  reader.skip(length);
  const buf = reader.buf;
  const end = start + length;
  if (length > MAX_CACHED_STRING_BYTES) return buf.utf8Slice(start, end);
  if (length === 0) return '';
  let hash = length;
  let index = start;
  for (const stop = end - 3; index < stop; index += 4) {
    hash = Math.imul(hash ^ (buf[index] | (buf[index + 1] << 8) | (buf[index + 2] << 16) | (buf[index + 3] << 24)), 0x01000193);
  }
  for (; index < end; index++) hash = Math.imul(hash ^ buf[index], 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & STRING_CACHE_MASK;
  const cached = stringCache[slot];
  if (cached !== undefined && cached.length === length) {
    let offset = 0;
    while (offset < length && cached.charCodeAt(offset) === buf[start + offset]) offset++;
    if (offset === length) return cached;
  }
  const decoded = buf.utf8Slice(start, end);
  // Equal lengths mean every character came from exactly one byte, so a later byte-by-byte
  // match against the cached characters is exact (U+FFFD for a bad byte can never match).
  if (decoded.length === length) stringCache[slot] = decoded;
  return decoded;
}

export function isZeroRange(buf: Uint8Array, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    if (buf[index] !== 0) return false;
  }
  return true;
}

// The request message being decoded, named in errors. Decoding is synchronous, so one module-level
// name is enough: each decoder's entry point sets it before reading.
let requestMessageName = 'ExportTraceServiceRequest';

/** Names the request message (`ExportLogsServiceRequest`…) that {@link decodeError} reports about. */
export function startDecoding(messageName: string): void {
  requestMessageName = messageName;
}

/** An {@link InvalidRequestError} describing a malformed body at the reader's position. */
export function decodeError(reader: BodyReader, problem: string, cause?: unknown): InvalidRequestError {
  return new InvalidRequestError(
    `Cannot decode the body as a protobuf ${requestMessageName}: ${problem} (at byte ${reader.pos} of ${reader.buf.length})`,
    { cause },
  );
}

/**
 * Runs a decoder over `reader`, turning protobufjs's own errors into {@link InvalidRequestError}s:
 * its Reader reports a read past the end of the body or of an embedded message as a RangeError,
 * and a malformed varint, tag, length or wire type as a plain Error.
 */
export function readWithDecodeErrors<T>(reader: BodyReader, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    if (error instanceof RangeError) throw decodeError(reader, TRUNCATED, error);
    if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype) throw decodeError(reader, error.message, error);
    throw error;
  }
}

/** A Node reader over `body` (no copy). */
export function bodyReader(body: Uint8Array): BodyReader {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return protobuf.Reader.create(buffer) as BodyReader;
}
