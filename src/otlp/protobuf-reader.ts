/**
 * A minimal reader of the protobuf wire format, for the hand-written OTLP span decoder.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError } from '../errors/index.ts';

/** Protobuf wire types. */
export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  LENGTH_DELIMITED: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

// Node's own Buffer slicers: `toString(encoding, start, end)` dispatches on the encoding name on
// every call, which is measurable when a request holds tens of thousands of short strings.
interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

const TWO_POW_32 = 4294967296;

/** Longest string {@link ProtobufReader.repeatedString} caches. */
const MAX_CACHED_STRING_BYTES = 48;
const STRING_CACHE_MASK = 4095;
// Shared by all readers: it only ever maps bytes to the string they decode to, so a stale or
// overwritten slot costs a miss, never a wrong answer. Bounded at 4096 short strings.
const stringCache: (string | undefined)[] = new Array(STRING_CACHE_MASK + 1).fill(undefined);
/** Below this high word, `high * 2^32 + low` is an exact double. */
const SAFE_HIGH_WORD = 0x200000;

/**
 * A cursor over one protobuf-encoded buffer. Every method reads at {@link ProtobufReader.pos} and
 * advances it; a read past the end of the buffer or of the enclosing message throws
 * {@link InvalidRequestError}.
 */
export class ProtobufReader {
  /** The bytes being read. */
  readonly buf: SlicingBuffer;
  /** The offset of the next byte to read. */
  pos = 0;
  /** How many bytes there are. */
  readonly len: number;
  /** What is being decoded, for error messages (e.g. `ExportTraceServiceRequest`). */
  readonly #subject: string;

  constructor(bytes: Uint8Array, subject: string) {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buf = buffer as SlicingBuffer;
    this.len = buffer.length;
    this.#subject = subject;
  }

  /** Reads a varint and keeps its low 32 bits, unsigned (tags, lengths, `uint32`, enums). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    // Out-of-range indexes read `undefined`, which ends the loop below; the final bounds check
    // then reports the truncation, so the common case needs no per-byte check.
    let byte = buf[pos++];
    let value = byte & 0x7f;
    if (byte >= 0x80) {
      byte = buf[pos++];
      value |= (byte & 0x7f) << 7;
      if (byte >= 0x80) {
        byte = buf[pos++];
        value |= (byte & 0x7f) << 14;
        if (byte >= 0x80) {
          byte = buf[pos++];
          value |= (byte & 0x7f) << 21;
          if (byte >= 0x80) {
            byte = buf[pos++];
            value |= byte << 28;
            // A negative int32 is sign-extended to ten bytes; the extra bytes only repeat the sign.
            for (let extra = 0; byte >= 0x80 && extra < 5; extra++) byte = buf[pos++];
            if (byte >= 0x80) throw this.error('a varint is longer than 10 bytes');
          }
        }
      }
    }
    if (pos > this.len) throw this.#truncated();
    this.pos = pos;
    return value >>> 0;
  }

  /** Reads an `int32` or enum value (a varint, sign-extended when negative). */
  int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a `bool` (any non-zero varint is true). */
  bool(): boolean {
    const buf = this.buf;
    let pos = this.pos;
    let bits = 0;
    let byte = 0x80;
    for (let count = 0; byte >= 0x80 && count < 10; count++) {
      byte = buf[pos++];
      bits |= byte & 0x7f;
    }
    if (byte >= 0x80) throw this.error('a varint is longer than 10 bytes');
    if (pos > this.len) throw this.#truncated();
    this.pos = pos;
    return bits !== 0;
  }

  /** Reads an `int64` varint: a `number` when it is a safe integer, otherwise a `bigint`. */
  int64(): number | bigint {
    const buf = this.buf;
    let pos = this.pos;
    let low = 0;
    let high = 0;
    let byte = 0;
    let shift = 0;
    // Bits 0..27 from the first four bytes.
    for (; shift < 28; shift += 7) {
      byte = buf[pos++];
      low |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (pos > this.len) throw this.#truncated();
        this.pos = pos;
        return low;
      }
    }
    // The fifth byte straddles the two 32-bit words.
    byte = buf[pos++];
    low |= (byte & 0x0f) << 28;
    high = (byte & 0x7f) >> 4;
    for (shift = 3; byte >= 0x80 && shift < 32; shift += 7) {
      byte = buf[pos++];
      high |= (byte & 0x7f) << shift;
    }
    if (byte >= 0x80) throw this.error('a varint is longer than 10 bytes');
    if (pos > this.len) throw this.#truncated();
    this.pos = pos;
    return toInt64(low, high);
  }

  /** Reads a `fixed32`. */
  fixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.len) throw this.#truncated();
    this.pos = pos + 4;
    const buf = this.buf;
    return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
  }

  /** Reads a `fixed64` as an unsigned `bigint`, without precision loss. */
  fixed64(): bigint {
    const pos = this.pos;
    if (pos + 8 > this.len) throw this.#truncated();
    this.pos = pos + 8;
    const buf = this.buf;
    const low = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
    const high = (buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24)) >>> 0;
    if (high < SAFE_HIGH_WORD) return BigInt(high * TWO_POW_32 + low);
    return BigInt(high * TWO_POW_32) + BigInt(low);
  }

  /** Reads a `double`. */
  double(): number {
    const pos = this.pos;
    if (pos + 8 > this.len) throw this.#truncated();
    this.pos = pos + 8;
    return this.buf.readDoubleLE(pos);
  }

  /**
   * Reads the length prefix of a length-delimited field and returns the offset where the field
   * ends, leaving {@link ProtobufReader.pos} at its first byte.
   *
   * @param limit The end of the enclosing message; the field may not extend past it.
   */
  fieldEnd(limit: number): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > limit) throw this.#truncated();
    return end;
  }

  /** Reads a length-delimited UTF-8 string (invalid sequences become U+FFFD). */
  string(limit: number): string {
    const end = this.fieldEnd(limit);
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : this.buf.utf8Slice(start, end);
  }

  /**
   * Like {@link ProtobufReader.string}, for strings that tend to repeat (attribute keys, span and
   * event names, short values): short ASCII strings come from a small cache, so that a request
   * repeating the same keys on every span decodes each one once.
   */
  repeatedString(limit: number): string {
    const end = this.fieldEnd(limit);
    const start = this.pos;
    this.pos = end;
    const length = end - start;
    if (length > MAX_CACHED_STRING_BYTES) return this.buf.utf8Slice(start, end);
    if (length === 0) return '';
    const buf = this.buf;
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

  /** Lowercase hex of the bytes from `start` to `end`. */
  hex(start: number, end: number): string {
    return start === end ? '' : this.buf.hexSlice(start, end);
  }

  /** A copy of the bytes from `start` to `end`, detached from the request body. */
  copy(start: number, end: number): Uint8Array {
    // Through the Uint8Array constructor, so that the result is a plain Uint8Array, not a Buffer.
    return new Uint8Array(this.buf.subarray(start, end));
  }

  /** Skips the value of a field whose tag was just read. */
  skip(wireType: number, limit: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.#skipVarint();
        return;
      case WireType.FIXED64:
        this.#skipBytes(8, limit);
        return;
      case WireType.LENGTH_DELIMITED:
        this.pos = this.fieldEnd(limit);
        return;
      case WireType.FIXED32:
        this.#skipBytes(4, limit);
        return;
      case WireType.START_GROUP:
        this.#skipGroup(limit);
        return;
      default:
        throw this.error(`invalid wire type ${wireType}`);
    }
  }

  /** Fails unless the message that should end at `end` ended exactly there. */
  expectEnd(end: number): void {
    if (this.pos !== end) throw this.error('a field runs past the end of its message');
  }

  /** An {@link InvalidRequestError} describing a malformed body at the current offset. */
  error(problem: string): InvalidRequestError {
    return new InvalidRequestError(
      `Cannot decode the body as a protobuf ${this.#subject}: ${problem} (at byte ${this.pos} of ${this.len})`,
    );
  }

  #truncated(): InvalidRequestError {
    return this.error('the data is truncated or a length is out of range');
  }

  #skipVarint(): void {
    const buf = this.buf;
    let pos = this.pos;
    const stop = pos + 10;
    while (pos < stop && buf[pos++] >= 0x80);
    if (buf[pos - 1] >= 0x80) throw this.error('a varint is longer than 10 bytes');
    if (pos > this.len) throw this.#truncated();
    this.pos = pos;
  }

  #skipBytes(count: number, limit: number): void {
    if (this.pos + count > limit) throw this.#truncated();
    this.pos += count;
  }

  #skipGroup(limit: number): void {
    // Groups are proto2-only and never used by OTLP, but a reader must still step over them.
    for (;;) {
      if (this.pos >= limit) throw this.#truncated();
      const wireType = this.uint32() & 7;
      if (wireType === WireType.END_GROUP) return;
      this.skip(wireType, limit);
    }
  }
}

/** The signed 64-bit integer with these 32-bit halves, as a `number` when safe, else a `bigint`. */
function toInt64(low: number, high: number): number | bigint {
  const value = (high | 0) * TWO_POW_32 + (low >>> 0);
  // Inside the safe range the double arithmetic above is exact; outside it may have rounded.
  if (Number.isSafeInteger(value)) return value;
  return (BigInt(high | 0) << 32n) | BigInt(low >>> 0);
}
