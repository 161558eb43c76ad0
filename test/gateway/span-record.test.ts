import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeGatewaySpanRecords, gatewaySpanRecord } from '../../src/gateway/gateway-span.ts';
import type { GatewayCallRecord } from '../../src/gateway/index.ts';
import { encodeGatewaySpans, toGenAiInputMessages, toGenAiOutputMessages } from '../../src/gateway/index.ts';
import { decodeRequest, prepareDecoded } from '../../src/ingest/index.ts';
import { decodeTracesJson } from '../../src/otlp/index.ts';

function callRecord(overrides: Partial<GatewayCallRecord> = {}): GatewayCallRecord {
  const request = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Calculate the sum from 1 to 4.' }] };
  return {
    operation: 'chat',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    startTimeUnixNano: 1_765_000_000_000_000_000n,
    endTimeUnixNano: 1_765_000_000_250_000_000n,
    rolloutId: 'ro-1',
    attemptId: 'at-1',
    request,
    inputMessages: toGenAiInputMessages(request.messages),
    outputMessages: toGenAiOutputMessages([
      { index: 0, role: 'assistant', content: 'The sum is 10.', reasoning: null, toolCalls: [], finishReason: 'stop', tokenIds: null },
    ]),
    finishReasons: ['stop'],
    responseModel: 'gpt-4.1-mini',
    responseId: 'chatcmpl-1',
    inputTokens: 12,
    outputTokens: 5,
    promptTokenIds: null,
    responseTokenIds: null,
    error: null,
    server: { address: '127.0.0.1', port: 8000 },
    attributes: { 'agentlightning.gateway.stream': false },
    ...overrides,
  };
}

const CALLS: Record<string, GatewayCallRecord> = {
  'a plain call': callRecord(),
  'sampling parameters, integer doubles, stop sequences, tools': callRecord({
    request: {
      model: 'm',
      temperature: 1,
      top_p: 0.5,
      max_tokens: 64,
      frequency_penalty: 0,
      presence_penalty: -0.5,
      seed: 2 ** 60,
      n: 2,
      stop: ['\n', 3, 'END'],
      tools: [{ type: 'function', function: { name: 'pick', parameters: {} } }],
    },
  }),
  'a seed past 64 bits and a non-finite temperature': callRecord({ request: { model: 'm', seed: 1e21, temperature: Number.NaN } }),
  'token ids, a parent span, prompt attributes': callRecord({
    parentSpanId: '00f067aa0ba902b7',
    promptTokenIds: [1, 2, 3],
    responseTokenIds: [4, 5],
    attributes: { 'agentlightning.gateway.stream': true, 'agentlightning.gateway.prompt_mode': 'system', 'agentlightning.gateway.prompt_applied': true },
  }),
  'a failed call with no answer': callRecord({
    outputMessages: [],
    finishReasons: [],
    responseModel: null,
    responseId: null,
    inputTokens: null,
    outputTokens: null,
    error: { type: 'upstream_unreachable', message: 'ECONNREFUSED' },
  }),
  'a text completion of the plain base': callRecord({ operation: 'text_completion', rolloutId: null, attemptId: null, request: { prompt: 'Say hi' } }),
};

describe('LLM gateway: the span of a call', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`is the span an OTLP receiver decodes from its OTLP/JSON encoding: ${name}`, () => {
      const decoded = decodeTracesJson(encodeGatewaySpans([call]));
      assert.equal(decoded.rejectedSpans, 0);
      assert.deepEqual(gatewaySpanRecord(call), decoded.spans[0]);
      // And so it is stored as the same rows (llm_calls, sequence-id slots, activity).
      assert.deepEqual(prepareDecoded({ spans: [gatewaySpanRecord(call)], rejectedSpans: 0, rejectionMessage: '' }), decodeRequest(encodeGatewaySpans([call]), 'json'));
    });
  }

  it('is forwarded as OTLP/JSON with the conventions’ doubles as doubleValue', () => {
    const body = JSON.parse(Buffer.from(encodeGatewaySpanRecords([gatewaySpanRecord(CALLS['sampling parameters, integer doubles, stop sequences, tools'])])).toString());
    const attributes = new Map(body.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((entry: { key: string; value: unknown }) => [entry.key, entry.value]));
    assert.deepEqual(attributes.get('gen_ai.request.temperature'), { doubleValue: 1 });
    assert.deepEqual(attributes.get('gen_ai.request.max_tokens'), { intValue: '64' });
    assert.deepEqual(attributes.get('gen_ai.request.seed'), { intValue: String(2n ** 60n) });
    assert.deepEqual(attributes.get('gen_ai.request.stop_sequences'), { arrayValue: { values: [{ stringValue: '\n' }, { stringValue: 'END' }] } });
  });
});
