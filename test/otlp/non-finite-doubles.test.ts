import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { valueToJson } from '../../src/storage/index.ts';
import { JSON_TYPE, PROTOBUF, post } from '../collector/otlp-bad-request-helpers.ts';
import { jsonRequest, protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import { queryRows, startTestCollector } from '../helpers/collector.ts';

/**
 * OTLP double attributes NaN, Infinity and -Infinity (issue 10, section 6): stored as the strings
 * of the protobuf JSON mapping, distinguishable from each other and from a missing value (JSON
 * null), from protobuf and from OTLP/JSON alike.
 */

describe('non-finite doubles in JSON text', () => {
  it('are written as "NaN", "Infinity", "-Infinity", nested too; finite numbers stay numbers', () => {
    assert.equal(
      valueToJson({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: [Number.NEGATIVE_INFINITY, 1.5], d: null }),
      '{"a":"NaN","b":"Infinity","c":["-Infinity",1.5],"d":null}',
    );
    assert.equal(valueToJson({ big: 2n ** 64n, x: Number.NaN }), '{"big":18446744073709551616,"x":"NaN"}');
  });
});

describe('OTLP double attributes NaN / ±Infinity', () => {
  let collector: Collector;
  before(async () => {
    collector = await startTestCollector();
  });
  after(() => collector.close());

  for (const format of ['protobuf', 'json'] as const) {
    it(`are stored distinguishable and queryable (${format})`, async () => {
      const span = spanSpec({
        attributes: { 'x.nan': Number.NaN, 'x.inf': Number.POSITIVE_INFINITY, 'x.ninf': Number.NEGATIVE_INFINITY, 'x.half': 0.5 },
      });
      // OTLP/JSON writes non-finite doubles as strings (JSON has no such numbers).
      const body =
        format === 'protobuf'
          ? protobufBody([span])
          : JSON.stringify(jsonRequest([span]), (_key, value: unknown) =>
              typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
            );
      const response = await post(collector, body, { 'content-type': format === 'protobuf' ? PROTOBUF : JSON_TYPE });
      assert.equal(response.status, 200);
      const [row] = await queryRows(
        collector,
        `SELECT attributes->>'$."x.nan"' AS nan, attributes->>'$."x.inf"' AS inf, attributes->>'$."x.ninf"' AS ninf,
                json_type(attributes, '$."x.nan"') AS nan_type, CAST(attributes->>'$."x.ninf"' AS DOUBLE) AS ninf_double,
                CAST(attributes->>'$."x.half"' AS DOUBLE) AS half
         FROM spans WHERE span_id = '${span.spanId}'`,
      );
      assert.deepEqual(
        { ...row, ninf_double: String(row.ninf_double) },
        { nan: 'NaN', inf: 'Infinity', ninf: '-Infinity', nan_type: 'VARCHAR', ninf_double: '-Infinity', half: 0.5 },
      );
    });
  }
});
