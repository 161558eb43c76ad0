import type { SpanRecord } from '../../src/spans/index.ts';

let counter = 0;

/** A valid span record with unique ids; `overrides` replace any field. */
export function makeSpan(overrides: Partial<SpanRecord> = {}): SpanRecord {
  counter++;
  return {
    traceId: 'aa'.repeat(15) + counter.toString(16).padStart(2, '0').slice(-2),
    spanId: counter.toString(16).padStart(16, '0'),
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: `span-${counter}`,
    kind: 1,
    startTimeUnixNano: 1_700_000_000_123_456_789n + BigInt(counter) * 1000n,
    endTimeUnixNano: 1_700_000_000_223_456_789n + BigInt(counter) * 1000n,
    attributes: { 'test.counter': counter },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource: { 'service.name': 'test-service' },
    resourceSchemaUrl: '',
    scopeName: 'test-scope',
    scopeVersion: '1.0.0',
    scopeAttributes: {},
    ...overrides,
  };
}
