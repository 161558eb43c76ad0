import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLosslessJson } from '../../src/otlp/index.ts';

describe('parseLosslessJson', () => {
  it('returns integer literals that a double cannot hold exactly as decimal strings', () => {
    assert.deepEqual(parseLosslessJson('{"t":1700000000123456789,"n":-9223372036854775808,"list":[18446744073709551615, 1]}'), {
      t: '1700000000123456789',
      n: '-9223372036854775808',
      list: ['18446744073709551615', 1],
    });
  });

  it('leaves short integers, fractions and exponents to JSON.parse', () => {
    assert.deepEqual(parseLosslessJson('{"a":900719925474099,"b":1.0000000000000002,"c":12345678901234567.5,"d":1e21,"e":-0}'), {
      a: 900719925474099,
      b: 1.0000000000000002,
      c: 12345678901234567.5,
      d: 1e21,
      e: -0,
    });
  });

  it('protects 16-digit literals, some of which are already unsafe', () => {
    assert.deepEqual(parseLosslessJson('[9007199254740993, 1000000000000000]'), ['9007199254740993', '1000000000000000']);
  });

  it('never touches digits inside strings, escaped quotes included', () => {
    const text = '{"s":"x: 12345678901234567890","e":"quote \\" then: 12345678901234567890","b":"\\\\","n":12345678901234567890}';
    assert.deepEqual(parseLosslessJson(text), {
      s: 'x: 12345678901234567890',
      e: 'quote " then: 12345678901234567890',
      b: '\\',
      n: '12345678901234567890',
    });
  });

  it('handles whitespace around values and keys that look like numbers', () => {
    assert.deepEqual(parseLosslessJson('{ "12345678901234567890" :\n\t12345678901234567890 }'), {
      '12345678901234567890': '12345678901234567890',
    });
  });

  it('still rejects invalid JSON, including big literals with leading zeros', () => {
    for (const text of ['{"a":', '{"a": 012345678901234567}', '[1,]', '{"a": 12345678901234567890x}', '"unterminated']) {
      assert.throws(() => parseLosslessJson(text), SyntaxError, text);
    }
  });
});
