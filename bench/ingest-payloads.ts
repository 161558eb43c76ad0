import { randomBytes } from 'node:crypto';
import { encodeTracesProtobuf } from '../src/otlp/index.ts';
import type { OtlpKeyValue, OtlpSpan } from '../src/otlp/index.ts';

/**
 * Builds `count` OTLP/protobuf request bodies of `spansPerRequest` spans each, every span with a
 * unique trace/span id, ~10 attributes of mixed types and one event — the shape of an agent's
 * spans. Built once before timing: encoding is the client's cost, not the collector's.
 */
export function buildPayloads(count: number, spansPerRequest: number): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  const base = BigInt(Date.now()) * 1_000_000n;
  for (let request = 0; request < count; request++) {
    const rollout = `ro-bench-${request}`;
    const spans: OtlpSpan[] = [];
    const traceId = randomBytes(16);
    const ids = randomBytes(8 * spansPerRequest);
    for (let index = 0; index < spansPerRequest; index++) {
      const start = base + BigInt(request * spansPerRequest + index) * 1000n;
      const attributes: OtlpKeyValue[] = [
        { key: 'agentlightning.span_sequence_id', value: { intValue: index } },
        { key: 'http.request.method', value: { stringValue: 'POST' } },
        { key: 'url.full', value: { stringValue: `https://api.example.com/v1/tools/${index % 17}` } },
        { key: 'tool.name', value: { stringValue: `tool_${index % 7}` } },
        { key: 'tool.input', value: { stringValue: `{"query":"request ${request} step ${index}"}` } },
        { key: 'retry.count', value: { intValue: index % 3 } },
        { key: 'latency.budget_ms', value: { doubleValue: 250.5 } },
        { key: 'cache.hit', value: { boolValue: index % 2 === 0 } },
        { key: 'agent.step', value: { intValue: index } },
        { key: 'agent.name', value: { stringValue: 'bench-agent' } },
      ];
      spans.push({
        traceId,
        spanId: ids.subarray(index * 8, index * 8 + 8),
        parentSpanId: index === 0 ? undefined : ids.subarray(0, 8),
        name: index === 0 ? 'agent.run' : `tool.call ${index % 7}`,
        kind: index === 0 ? 2 : 3,
        startTimeUnixNano: start,
        endTimeUnixNano: start + 750_000n,
        attributes,
        events: [{ timeUnixNano: start + 1000n, name: 'step', attributes: [{ key: 'step', value: { intValue: index } }] }],
        status: { code: index % 50 === 0 ? 2 : 0 },
      });
    }
    payloads.push(
      encodeTracesProtobuf({
        resourceSpans: [
          {
            resource: {
              attributes: [
                { key: 'service.name', value: { stringValue: 'bench-agent' } },
                { key: 'agentlightning.rollout_id', value: { stringValue: rollout } },
                { key: 'agentlightning.attempt_id', value: { stringValue: `at-${request}` } },
              ],
            },
            scopeSpans: [{ scope: { name: 'bench', version: '1.0.0' }, spans }],
          },
        ],
      }),
    );
  }
  return payloads;
}
