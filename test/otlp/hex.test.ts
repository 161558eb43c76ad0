import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, hexToBytes } from '../../src/otlp/index.ts';

describe('hex helpers', () => {
  it('convert ids both ways, lowercase out, either case in', () => {
    const bytes = new Uint8Array([0x00, 0xab, 0xcd, 0xef, 0x10]);
    assert.equal(bytesToHex(bytes), '00abcdef10');
    assert.equal(bytesToHex(bytes.subarray(1, 3)), 'abcd');
    assert.equal(bytesToHex(new Uint8Array(0)), '');
    assert.deepEqual(hexToBytes('00ABcdEF10'), bytes);
    assert.deepEqual(hexToBytes(''), new Uint8Array(0));
  });

  it('refuse text that is not an even number of hex digits', () => {
    for (const text of ['abc', 'zz', '0x12', ' 12', 'W46P95gDgQ==']) assert.equal(hexToBytes(text), undefined, text);
  });
});
