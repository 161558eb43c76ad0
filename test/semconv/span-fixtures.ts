/** Builds `SpanRecord`s by hand, as the OTLP decoder would produce them. */
import type { Attributes, SpanEventRecord, SpanRecord } from '../../src/spans/index.ts';

export interface SpanFixture {
  name?: string;
  attributes?: Attributes;
  resource?: Attributes;
  events?: Array<{ name: string; attributes?: Attributes }>;
}

let nextSpanId = 1;

export function makeSpan(fixture: SpanFixture = {}): SpanRecord {
  const spanId = (nextSpanId++).toString(16).padStart(16, '0');
  const events: SpanEventRecord[] = (fixture.events ?? []).map((event, index) => ({
    timeUnixNano: 1_700_000_000_000_000_000n + BigInt(index),
    name: event.name,
    attributes: event.attributes ?? {},
    droppedAttributesCount: 0,
  }));
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId,
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: fixture.name ?? 'span',
    kind: 1,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_001_000_000_000n,
    attributes: fixture.attributes ?? {},
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource: fixture.resource ?? { 'service.name': 'test-agent' },
    resourceSchemaUrl: '',
    scopeName: 'test',
    scopeVersion: '1.0.0',
    scopeAttributes: {},
  };
}
