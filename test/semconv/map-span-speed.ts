/**
 * Measures `mapSpan` on ordinary spans (about ten attributes, no LLM or reward content), as the
 * collector sees them: attributes objects built key by key, several key sets, spans of a few
 * resources in turn. Run: `node --import tsx test/semconv/map-span-speed.ts [spanCount]`.
 */
import type { Attributes, SpanRecord } from '../../src/spans/index.ts';
import { mapSpan } from '../../src/semconv/index.ts';

const KEY_SETS: string[][] = [
  ['http.request.method', 'url.full', 'http.response.status_code', 'server.address', 'server.port', 'network.protocol.version', 'user_agent.original'],
  ['db.system', 'db.namespace', 'db.query.text', 'db.operation.name', 'server.address', 'server.port', 'thread.id'],
  ['code.function', 'code.namespace', 'code.lineno', 'app.user.id', 'app.request.id', 'app.feature', 'app.cache.hit'],
  ['rpc.system', 'rpc.service', 'rpc.method', 'server.address', 'server.port', 'network.transport', 'app.retry'],
];

function buildSpans(count: number): SpanRecord[] {
  const resources: Attributes[] = [];
  for (let index = 0; index < 4; index++) {
    resources.push({ 'service.name': `service-${index}`, 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'opentelemetry', 'host.name': 'worker-1' });
  }
  const spans: SpanRecord[] = [];
  for (let index = 0; index < count; index++) {
    const attributes: Attributes = {};
    for (const key of KEY_SETS[index % KEY_SETS.length]!) attributes[key] = key.endsWith('port') ? 8080 : `value-${index}`;
    // A span processor stamps the rollout ids on every span of a rollout.
    attributes['agentlightning.rollout_id'] = `ro-${index >> 6}`;
    attributes['agentlightning.attempt_id'] = `at-${index >> 6}`;
    attributes['agentlightning.span_sequence_id'] = index & 63;
    spans.push({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      parentSpanId: null,
      traceState: '',
      flags: 1,
      name: 'GET /rooms',
      kind: 3,
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      endTimeUnixNano: 1_700_000_000_001_000_000n,
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: 0,
      statusMessage: '',
      resource: resources[Math.floor(index / 256) % resources.length]!,
      resourceSchemaUrl: '',
      scopeName: '@opentelemetry/instrumentation-http',
      scopeVersion: '0.1.0',
      scopeAttributes: {},
    });
  }
  return spans;
}

/** Nanoseconds per span over `iterations` calls cycling through `spans`. */
export function measureNanosecondsPerSpan(spans: SpanRecord[], iterations: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) {
    const mapping = mapSpan(spans[index % spans.length]!);
    sink += mapping.sequenceId ?? 0;
  }
  const elapsed = Number(process.hrtime.bigint() - start);
  if (sink < 0) console.log(sink);
  return elapsed / iterations;
}

/** An LLM span (OTel GenAI current attributes, a four-message conversation with a tool call). */
function buildLlmSpans(count: number): SpanRecord[] {
  return buildSpans(count).map((span, index) => ({
    ...span,
    name: 'chat gpt-4o-mini',
    attributes: {
      ...span.attributes,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 97 + index,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.input.messages': JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: 'You are a booking assistant.' }] },
        { role: 'user', parts: [{ type: 'text', content: `Book a room for ${index} people on floor 2.` }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'find_rooms', arguments: { floor: 2 } }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { rooms: ['R201', 'R204'] } }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: 'Room R201 is free.' }], finish_reason: 'stop' },
      ]),
    },
  }));
}

export { buildLlmSpans, buildSpans };

if (import.meta.url === `file://${process.argv[1]}`) {
  const iterations = Number(process.argv[2] ?? 1_000_000);
  const spans = buildSpans(10_000);
  measureNanosecondsPerSpan(spans, 200_000); // warm-up
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) runs.push(measureNanosecondsPerSpan(spans, iterations));
  runs.sort((left, right) => left - right);
  console.log(
    `mapSpan, ordinary span (10 attributes): median ${runs[2]!.toFixed(0)} ns/span, best ${runs[0]!.toFixed(0)} ns/span ` +
      `over ${iterations} spans x 5 runs (${(1e9 / runs[2]!).toFixed(0)} spans/s on one core)`,
  );
  const llmSpans = buildLlmSpans(2_000);
  measureNanosecondsPerSpan(llmSpans, 20_000);
  const llm = measureNanosecondsPerSpan(llmSpans, 100_000);
  console.log(`mapSpan, LLM span (gen_ai.input/output.messages, 4+1 messages): ${(llm / 1000).toFixed(1)} µs/span`);
}
