/**
 * Conversions between OTLP id bytes and lowercase hex strings.
 */
import { Buffer } from 'node:buffer';

/** Lowercase hex of `bytes` (empty string for no bytes). */
export function bytesToHex(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  // A Buffer view over the same memory: no copy, and no per-byte string building.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Bytes of a hex string (either case), or `undefined` when `hex` is not an even-length string of
 * hex digits.
 */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if ((hex.length & 1) !== 0 || !HEX_PATTERN.test(hex)) return undefined;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** `true` when every byte of `bytes` is zero (also for no bytes). */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] !== 0) return false;
  }
  return true;
}

const HEX_PATTERN = /^[0-9a-fA-F]*$/;
