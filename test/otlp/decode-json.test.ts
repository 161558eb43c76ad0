import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../src/errors/index.ts';
import { decodeTracesJson } from '../../src/otlp/index.ts';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** A one-span OTLP/JSON body; `spanFields` are merged into the span. */
function body(spanFields: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-tests' } }] },
        scopeSpans: [
          {
            scope: { name: 'scope', version: '2.0' },
            spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'span', kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2', ...spanFields }],
          },
        ],
      },
    ],
    ...extra,
  });
}

function decodeOne(spanFields: Record<string, unknown>) {
  const decoded = decodeTracesJson(body(spanFields));
  assert.equal(decoded.rejectedSpans, 0, decoded.rejectionMessage);
  return decoded.spans[0];
}

describe('decodeTracesJson', () => {
  it('keeps nanosecond timestamps exact as strings and as bare JSON numbers', () => {
    const text = body({ startTimeUnixNano: 'START', endTimeUnixNano: 'END' })
      .replace('"START"', '1700000000123456789')
      .replace('"END"', '"18446744073709551615"');
    const record = decodeTracesJson(text).spans[0];
    assert.equal(record.startTimeUnixNano, 1_700_000_000_123_456_789n);
    assert.equal(record.endTimeUnixNano, 18_446_744_073_709_551_615n);
    const small = decodeOne({ startTimeUnixNano: 5, endTimeUnixNano: '6' });
    assert.equal(small.startTimeUnixNano, 5n);
    assert.equal(small.endTimeUnixNano, 6n);
  });

  it('keeps event times exact as bare numbers', () => {
    const text = body({ events: [{ timeUnixNano: 'T', name: 'e' }] }).replace('"T"', '1700000000999999999');
    assert.equal(decodeTracesJson(text).spans[0].events[0].timeUnixNano, 1_700_000_000_999_999_999n);
  });

  it('keeps 64-bit intValue exact as strings and bare numbers, and safe ones as numbers', () => {
    const text = body({
      attributes: [
        { key: 'bareBig', value: { intValue: 'BARE_BIG' } },
        { key: 'bareNegativeBig', value: { intValue: 'BARE_NEGATIVE' } },
        { key: 'stringBig', value: { intValue: '9223372036854775807' } },
        { key: 'stringSmall', value: { intValue: '42' } },
        { key: 'stringNegative', value: { intValue: '-42' } },
        { key: 'bareSmall', value: { intValue: 7 } },
        { key: 'maxSafe', value: { intValue: '9007199254740991' } },
      ],
    })
      .replace('"BARE_BIG"', '9007199254740993')
      .replace('"BARE_NEGATIVE"', '-9223372036854775808');
    assert.deepEqual(decodeTracesJson(text).spans[0].attributes, {
      bareBig: 9_007_199_254_740_993n,
      bareNegativeBig: -9_223_372_036_854_775_808n,
      stringBig: 9_223_372_036_854_775_807n,
      stringSmall: 42,
      stringNegative: -42,
      bareSmall: 7,
      maxSafe: Number.MAX_SAFE_INTEGER,
    });
  });

  it('accepts uppercase hex ids and returns them in lowercase', () => {
    const record = decodeOne({ traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID.toUpperCase(), parentSpanId: 'ABCDEF0123456789' });
    assert.equal(record.traceId, TRACE_ID);
    assert.equal(record.spanId, SPAN_ID);
    assert.equal(record.parentSpanId, 'abcdef0123456789');
  });

  it('reads an empty, absent or all-zero parent span id as no parent', () => {
    assert.equal(decodeOne({ parentSpanId: '' }).parentSpanId, null);
    assert.equal(decodeOne({}).parentSpanId, null);
    assert.equal(decodeOne({ parentSpanId: '0000000000000000' }).parentSpanId, null);
  });

  it('accepts enums as integers and as their names', () => {
    const byNumber = decodeOne({ kind: 3, status: { code: 2, message: 'boom' } });
    assert.equal(byNumber.kind, 3);
    assert.equal(byNumber.statusCode, 2);
    assert.equal(byNumber.statusMessage, 'boom');
    const byName = decodeOne({ kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_OK' } });
    assert.equal(byName.kind, 5);
    assert.equal(byName.statusCode, 1);
  });

  it('ignores unknown fields at every level, including big numbers and nested objects in them', () => {
    const text = JSON.stringify({
      futureTopLevel: { deep: [1, 2, { x: null }] },
      resourceSpans: [
        {
          unknownResourceSpansField: true,
          resource: { attributes: [], entityRefs: [{ type: 'service', idKeys: ['service.name'] }] },
          scopeSpans: [
            {
              scope: { name: 's', unknownScopeField: 'x' },
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  name: 'n',
                  unknownSpanField: 'BIG',
                  attributes: [{ key: 'a', value: { stringValue: 'v', unknownValueField: 1 }, unknownKeyValueField: 2 }],
                  events: [{ name: 'e', unknownEventField: [] }],
                  status: { code: 1, unknownStatusField: {} },
                },
              ],
            },
          ],
        },
      ],
    }).replace('"BIG"', '123456789012345678901234567890');
    const decoded = decodeTracesJson(text);
    assert.equal(decoded.spans.length, 1);
    assert.deepEqual(decoded.spans[0].attributes, { a: 'v' });
    assert.equal(decoded.spans[0].events[0].name, 'e');
  });

  it('accepts the original snake_case field names in a Uint8Array body', () => {
    const text = JSON.stringify({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'snake' } }], dropped_attributes_count: 0 },
          schema_url: 'https://example.com/r',
          scope_spans: [
            {
              scope: { name: 'snake-scope', version: '1' },
              schema_url: 'https://example.com/s',
              spans: [
                {
                  trace_id: TRACE_ID,
                  span_id: SPAN_ID,
                  parent_span_id: '1111111111111111',
                  trace_state: 'k=v',
                  name: 'snake span',
                  kind: 'SPAN_KIND_SERVER',
                  start_time_unix_nano: '1700000000000000001',
                  end_time_unix_nano: '1700000000000000002',
                  attributes: [
                    { key: 'i', value: { int_value: '5' } },
                    { key: 'd', value: { double_value: 2.5 } },
                    { key: 'b', value: { bool_value: true } },
                    { key: 'bytes', value: { bytes_value: 'AAEC' } },
                    { key: 'list', value: { array_value: { values: [{ string_value: 'x' }] } } },
                    { key: 'map', value: { kvlist_value: { values: [{ key: 'k', value: { int_value: 1 } }] } } },
                  ],
                  dropped_attributes_count: 1,
                  events: [{ time_unix_nano: '1700000000000000003', name: 'ev', dropped_attributes_count: 2 }],
                  dropped_events_count: 3,
                  links: [{ trace_id: TRACE_ID, span_id: '2222222222222222', trace_state: 'l=1', dropped_attributes_count: 4 }],
                  dropped_links_count: 5,
                  status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                },
              ],
            },
          ],
        },
      ],
    });
    const decoded = decodeTracesJson(new TextEncoder().encode(text));
    assert.equal(decoded.rejectedSpans, 0);
    const [record] = decoded.spans;
    assert.deepEqual(record, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: '1111111111111111',
      traceState: 'k=v',
      flags: 0,
      name: 'snake span',
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_001n,
      endTimeUnixNano: 1_700_000_000_000_000_002n,
      attributes: { i: 5, d: 2.5, b: true, bytes: new Uint8Array([0, 1, 2]), list: ['x'], map: { k: 1 } },
      droppedAttributesCount: 1,
      events: [{ timeUnixNano: 1_700_000_000_000_000_003n, name: 'ev', attributes: {}, droppedAttributesCount: 2 }],
      droppedEventsCount: 3,
      links: [{ traceId: TRACE_ID, spanId: '2222222222222222', traceState: 'l=1', attributes: {}, droppedAttributesCount: 4, flags: 0 }],
      droppedLinksCount: 5,
      statusCode: 2,
      statusMessage: 'bad',
      resource: { 'service.name': 'snake' },
      resourceSchemaUrl: 'https://example.com/r',
      scopeName: 'snake-scope',
      scopeVersion: '1',
      scopeAttributes: {},
    });
  });

  it('maps kvlist, array, bytes, double and empty values', () => {
    const record = decodeOne({
      attributes: [
        { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') } },
        { key: 'urlSafeBytes', value: { bytesValue: '_-8' } },
        { key: 'list', value: { arrayValue: { values: [{ intValue: '1' }, { boolValue: false }, {}, { arrayValue: {} }] } } },
        { key: 'map', value: { kvlistValue: { values: [{ key: 'inner', value: { kvlistValue: { values: [] } } }, { key: 'none' }] } } },
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'infinity', value: { doubleValue: '-Infinity' } },
        { key: 'quotedDouble', value: { doubleValue: '1.5' } },
        { key: 'integralDouble', value: { doubleValue: 3 } },
        { key: 'empty', value: {} },
        { key: 'nullValue', value: null },
        { key: 'absentValue' },
      ],
    });
    assert.deepEqual(record.attributes, {
      bytes: new Uint8Array([0, 1, 254, 255]),
      urlSafeBytes: new Uint8Array([255, 239]),
      list: [1, false, null, []],
      map: { inner: {}, none: null },
      nan: Number.NaN,
      infinity: Number.NEGATIVE_INFINITY,
      quotedDouble: 1.5,
      integralDouble: 3,
      empty: null,
      nullValue: null,
      absentValue: null,
    });
    assert.equal(Object.getPrototypeOf(record.attributes.bytes), Uint8Array.prototype);
  });

  it('lets the last of repeated attribute keys win and keeps __proto__ as a plain key', () => {
    const record = decodeOne({
      attributes: [
        { key: 'k', value: { stringValue: 'first' } },
        { key: '__proto__', value: { stringValue: 'plain' } },
        { key: 'k', value: { stringValue: 'last' } },
      ],
    });
    assert.equal(record.attributes.k, 'last');
    assert.equal(Object.getPrototypeOf(record.attributes), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(record.attributes, '__proto__')?.value, 'plain');
  });

  it('tolerates a byte order mark and null fields', () => {
    const decoded = decodeTracesJson(`\uFEFF${body({ traceState: null, attributes: null, events: null, status: null })}`);
    assert.equal(decoded.spans.length, 1);
    assert.equal(decoded.spans[0].traceState, '');
    assert.deepEqual(decodeTracesJson('{}'), { spans: [], rejectedSpans: 0, rejectionMessage: '' });
    assert.deepEqual(decodeTracesJson('{"resourceSpans":null}').spans, []);
  });

  it('drops spans with bad ids, counts them, names them, and keeps the valid rest in order', () => {
    const spans = [
      { traceId: TRACE_ID, spanId: '0000000000000001', name: 'first' },
      { traceId: TRACE_ID, spanId: '0102030405', name: 'five-byte span id' },
      { traceId: '00000000000000000000000000000000', spanId: SPAN_ID, name: 'zero trace id' },
      { traceId: TRACE_ID, spanId: '0000000000000002', name: 'second' },
      { traceId: 'W46P95gDgQPSabYzgT/GDA==', spanId: SPAN_ID, name: 'base64 trace id' },
      { traceId: TRACE_ID, spanId: 'zzzzzzzzzzzzzzzz', name: 'not hex' },
      { traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: '01', name: 'short parent' },
      { spanId: SPAN_ID, name: 'no trace id' },
      { traceId: TRACE_ID, spanId: '0000000000000003', name: 'third' },
    ];
    const decoded = decodeTracesJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
    assert.deepEqual(
      decoded.spans.map((record) => record.name),
      ['first', 'second', 'third'],
    );
    assert.equal(decoded.rejectedSpans, 6);
    assert.match(decoded.rejectionMessage, /span "five-byte span id": spanId "0102030405" is not 16 hex digits/);
    assert.match(decoded.rejectionMessage, /span "zero trace id": traceId 0{32} is all zeros/);
    assert.match(decoded.rejectionMessage, /traceId "W46P95gDgQPSabYzgT\/GDA==" is not 32 hex digits \(OTLP\/JSON ids are hex, not base64\)/);
    assert.match(decoded.rejectionMessage, /; and 3 more$/);
  });

  it('drops links with malformed ids and counts them as dropped', () => {
    const record = decodeOne({
      droppedLinksCount: 1,
      links: [
        { traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID },
        { traceId: 'abc', spanId: SPAN_ID },
      ],
    });
    assert.equal(record.links.length, 1);
    assert.equal(record.links[0].traceId, TRACE_ID);
    assert.equal(record.droppedLinksCount, 2);
  });

  it('throws InvalidRequestError for a body that is not JSON', () => {
    for (const text of ['', '{"resourceSpans": [', 'resourceSpans', '{"a": 1,}', '\u0000']) {
      assert.throws(
        () => decodeTracesJson(text),
        (error: unknown) => error instanceof InvalidRequestError && error.status === 400 && /^The body is not valid JSON: /.test(error.message),
        JSON.stringify(text),
      );
    }
    assert.throws(() => decodeTracesJson(Buffer.from([0xff, 0xfe, 0x00])), InvalidRequestError);
  });

  it('throws InvalidRequestError naming the field for wrong shapes and types', () => {
    const cases: Array<[string, RegExp]> = [
      ['[]', /^Invalid OTLP\/JSON ExportTraceServiceRequest: expected an object, got an array$/],
      ['null', /expected an object, got null/],
      ['{"resourceSpans": [null]}', /at resourceSpans\[0\]: expected an object, got null/],
      [body({ attributes: [null] }), /spans\[0\]\.attributes\[0\]: expected an object, got null/],
      [body({ events: [null] }), /spans\[0\]\.events\[0\]: expected an object, got null/],
      ['42', /expected an object, got 42/],
      ['"text"', /expected an object, got "text"/],
      ['{"resourceSpans": {}}', /at resourceSpans: expected an array, got an object/],
      ['{"resourceSpans": "x"}', /at resourceSpans: expected an array/],
      ['{"resourceSpans": [1]}', /at resourceSpans\[0\]: expected an object, got 1/],
      ['{"resourceSpans": [{"scopeSpans": [{"spans": {}}]}]}', /at resourceSpans\[0\]\.scopeSpans\[0\]\.spans: expected an array/],
      [body({ startTimeUnixNano: 'yesterday' }), /at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: expected an unsigned 64-bit integer/],
      [body({ endTimeUnixNano: -1 }), /spans\[0\]\.endTimeUnixNano: expected an unsigned 64-bit integer/],
      [body({ startTimeUnixNano: 1.5 }), /startTimeUnixNano/],
      [body({ kind: 'SERVER' }), /spans\[0\]\.kind: expected an integer or one of SPAN_KIND_UNSPECIFIED/],
      [body({ status: { code: 'BROKEN' } }), /spans\[0\]\.status\.code/],
      [body({ traceId: 123 }), /spans\[0\]\.traceId: expected a hex string, got 123/],
      [body({ name: ['x'] }), /spans\[0\]\.name: expected a string, got an array/],
      [body({ attributes: {} }), /spans\[0\]\.attributes: expected an array/],
      [body({ attributes: [{ key: 'n', value: { intValue: 'twelve' } }] }), /spans\[0\]\.attributes\["n"\]\.value\.intValue: expected a signed 64-bit integer/],
      [body({ attributes: [{ key: 'n', value: { intValue: 1.5 } }] }), /attributes\["n"\]\.value\.intValue/],
      [body({ attributes: [{ key: 'b', value: { boolValue: 'yes' } }] }), /attributes\["b"\]\.value\.boolValue: expected true or false/],
      [body({ attributes: [{ key: 'x', value: { bytesValue: '***' } }] }), /bytesValue: expected a base64 string/],
      [body({ attributes: [{ key: 'd', value: { doubleValue: 'lots' } }] }), /doubleValue: expected a number/],
      [body({ attributes: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 'x' }] } } }] }), /attributes\["a"\]\.value\.arrayValue\.values\[0\]\.intValue/],
      [body({ events: [{ timeUnixNano: 'soon' }] }), /spans\[0\]\.events\[0\]\.timeUnixNano/],
      [body({ links: [{ traceId: TRACE_ID, spanId: SPAN_ID, flags: -1 }] }), /spans\[0\]\.links\[0\]\.flags: expected an unsigned 32-bit integer/],
      [body({ droppedAttributesCount: 'many' }), /droppedAttributesCount/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => decodeTracesJson(text),
        (error: unknown) => error instanceof InvalidRequestError && pattern.test(error.message),
        `${text} should fail with ${pattern}`,
      );
    }
  });

  it('refuses attribute values nested absurdly deep', () => {
    let value: unknown = { stringValue: 'bottom' };
    for (let depth = 0; depth < 40; depth++) value = { arrayValue: { values: [value] } };
    assert.throws(() => decodeTracesJson(body({ attributes: [{ key: 'deep', value }] })), InvalidRequestError);
  });

  it('shares resource and scope attribute objects between the spans they cover', () => {
    const spans = [
      { traceId: TRACE_ID, spanId: '0000000000000001' },
      { traceId: TRACE_ID, spanId: '0000000000000002' },
    ];
    const decoded = decodeTracesJson(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'r', value: { intValue: 1 } }] },
            scopeSpans: [{ scope: { name: 's', attributes: [{ key: 'x', value: { boolValue: true } }] }, spans }],
          },
        ],
      }),
    );
    const [first, second] = decoded.spans;
    assert.equal(first.resource, second.resource);
    assert.equal(first.scopeAttributes, second.scopeAttributes);
    assert.deepEqual(first.scopeAttributes, { x: true });
  });
});
