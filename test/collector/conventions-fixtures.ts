import { after, before } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';

/**
 * The spans of the conventions tests: attributes as each instrumentation library emits them (the
 * agentlightning rewards, OpenTelemetry GenAI in its three forms, OpenInference, the Vercel AI
 * SDK, and a service without rollout ids), made by the official OpenTelemetry SDK and sent by the
 * official OTLP/protobuf exporter.
 */

export const TOOL_CALL = { id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: '{"floor":2,"capacity":4}' } };

/** The conversation every LLM fixture below holds, in OpenAI chat format. */
export const HISTORY = [
  { role: 'system', content: 'You are a booking assistant.' },
  { role: 'user', content: 'Book a room for 4 people on floor 2.' },
  { role: 'assistant', content: null, tool_calls: [TOOL_CALL] },
  { role: 'tool', content: '{"rooms":["R201","R204"]}', tool_call_id: 'call_1' },
];
export const BOOK_CALL = { id: 'call_2', type: 'function', function: { name: 'book_room', arguments: '{"room":"R201"}' } };

/** The ids of a span sent. */
export interface Sent {
  spanId: string;
  traceId: string;
}

/** The collector of the calling test file, set by {@link useConventionCollector}. */
export let collector: Collector;
/** The ids of the fixture spans sent to {@link collector}, by fixture key. */
export let sent: Map<string, Sent>;

/** Starts a collector and sends it every fixture span before the calling file's tests; closes it after. */
export function useConventionCollector(): void {
  before(async () => {
    collector = await startTestCollector();
    sent = await sendConventionSpans(collector);
  });
  after(() => collector.close());
}

/** Sends every fixture span to `collector`; returns the ids of each, by fixture key. */
export async function sendConventionSpans(collector: Collector): Promise<Map<string, Sent>> {
  const sent = new Map<string, Sent>();

  /** Starts and ends one span and remembers its ids under `key`. */
  function emit(tracer: Tracer, key: string, name: string, attributes: Attributes, events: [string, Attributes][] = [], parent?: Span) {
    const span = tracer.startSpan(
      name,
      { kind: SpanKind.CLIENT, attributes },
      parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    for (const [eventName, eventAttributes] of events) span.addEvent(eventName, eventAttributes);
    span.end();
    sent.set(key, { spanId: span.spanContext().spanId, traceId: span.spanContext().traceId });
    return span;
  }

  const url = `${collector.url}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'conventions-agent',
      'agentlightning.rollout_id': 'ro-1',
      'agentlightning.attempt_id': 'at-1',
    }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  const tracer = provider.getTracer('conventions-test');

  // ── agentlightning rewards ──
  emit(tracer, 'multi-reward', 'agentlightning.annotation', {
    'agentlightning.reward.0.name': 'task_completion',
    'agentlightning.reward.0.value': 1,
    'agentlightning.reward.1.name': 'efficiency',
    'agentlightning.reward.1.value': 0.8,
    'agentlightning.reward.2.name': 'latency',
    'agentlightning.reward.2.value': -0.2,
    'agentlightning.span_sequence_id': 7,
  });
  // The v0.2 plain reward, on a span of another rollout (span attributes override the resource).
  emit(tracer, 'plain-reward', 'agentlightning.reward', {
    reward: 0.5,
    'agentlightning.rollout_id': 'ro-2',
    'agentlightning.attempt_id': 'at-2',
  });
  // AgentOps' record_reward: the reward JSON in agentops.task.output.
  emit(tracer, 'agentops-reward', 'reward', {
    'agentops.span.kind': 'task',
    'operation.name': 'agentops_reward_operation',
    'agentops.task.output': '{"type": "reward", "value": 0.25}',
    'agentlightning.rollout_id': 'ro-3',
  });
  // A plain `reward` on an ordinary span is not a reward.
  emit(tracer, 'not-a-reward', 'grade answer', { reward: 1 });

  // ── OpenTelemetry GenAI, current attributes (JSON strings, as the SDKs emit them) ──
  emit(tracer, 'gen-ai-current', 'chat gpt-4o-mini', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.usage.input_tokens': 97,
    'gen_ai.usage.output_tokens': 52,
    'gen_ai.input.messages': JSON.stringify([
      { role: 'system', parts: [{ type: 'text', content: 'You are a booking assistant.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Book a room for 4 people on floor 2.' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'find_rooms', arguments: { floor: 2, capacity: 4 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: { rooms: ['R201', 'R204'] } }] },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      {
        role: 'assistant',
        finish_reason: 'tool_call',
        parts: [{ type: 'tool_call', id: 'call_2', name: 'book_room', arguments: { room: 'R201' } }],
      },
    ]),
  });
  // An agent span repeats its model calls' messages: not an LLM call.
  emit(tracer, 'gen-ai-agent', 'invoke_agent booker', {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
  });

  // ── OpenTelemetry GenAI, older flattened attributes (OpenLLMetry) ──
  emit(tracer, 'gen-ai-flattened', 'openai.chat', {
    'llm.request.type': 'chat',
    'gen_ai.system': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': 'You are a booking assistant.',
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': 'Book a room for 4 people on floor 2.',
    'gen_ai.prompt.2.role': 'assistant',
    'gen_ai.prompt.2.tool_calls.0.id': 'call_1',
    'gen_ai.prompt.2.tool_calls.0.name': 'find_rooms',
    'gen_ai.prompt.2.tool_calls.0.arguments': '{"floor":2,"capacity":4}',
    'gen_ai.prompt.3.role': 'tool',
    'gen_ai.prompt.3.content': '{"rooms":["R201","R204"]}',
    'gen_ai.prompt.3.tool_call_id': 'call_1',
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.finish_reason': 'tool_calls',
    'gen_ai.completion.0.tool_calls.0.id': 'call_2',
    'gen_ai.completion.0.tool_calls.0.name': 'book_room',
    'gen_ai.completion.0.tool_calls.0.arguments': '{"room":"R201"}',
    'gen_ai.usage.prompt_tokens': 110,
    'gen_ai.usage.completion_tokens': 20,
    'llm.usage.total_tokens': 130,
  });

  // ── OpenTelemetry GenAI, deprecated message events ──
  emit(
    tracer,
    'gen-ai-events',
    'chat gpt-4o',
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 80,
      'gen_ai.usage.output_tokens': 9,
    },
    [
      ['gen_ai.system.message', { 'gen_ai.system': 'openai', content: 'You are a booking assistant.' }],
      ['gen_ai.user.message', { 'gen_ai.system': 'openai', content: 'Book a room for 4 people on floor 2.' }],
      [
        'gen_ai.assistant.message',
        {
          'gen_ai.system': 'openai',
          tool_calls: JSON.stringify([
            { id: 'call_1', type: 'function', function: { name: 'find_rooms', arguments: { floor: 2, capacity: 4 } } },
          ]),
        },
      ],
      ['gen_ai.tool.message', { 'gen_ai.system': 'openai', id: 'call_1', content: '{"rooms":["R201","R204"]}' }],
      [
        'gen_ai.choice',
        {
          'gen_ai.system': 'openai',
          index: 0,
          finish_reason: 'tool_calls',
          message: JSON.stringify({ role: 'assistant', tool_calls: [BOOK_CALL] }),
        },
      ],
    ],
  );

  // ── OpenInference (openinference-instrumentation-openai) ──
  emit(tracer, 'openinference', 'ChatCompletion', {
    'openinference.span.kind': 'LLM',
    'llm.system': 'openai',
    'llm.provider': 'openai',
    'llm.model_name': 'gpt-4o-mini-2024-07-18',
    'llm.invocation_parameters': '{"model": "gpt-4o-mini", "temperature": 0.2}',
    'input.mime_type': 'application/json',
    'input.value': '{"messages": "…"}',
    'llm.input_messages.0.message.role': 'system',
    'llm.input_messages.0.message.content': 'You are a booking assistant.',
    'llm.input_messages.1.message.role': 'user',
    'llm.input_messages.1.message.content': 'Book a room for 4 people on floor 2.',
    'llm.input_messages.2.message.role': 'assistant',
    'llm.input_messages.2.message.tool_calls.0.tool_call.id': 'call_1',
    'llm.input_messages.2.message.tool_calls.0.tool_call.function.name': 'find_rooms',
    'llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments': '{"floor":2,"capacity":4}',
    'llm.input_messages.3.message.role': 'tool',
    'llm.input_messages.3.message.content': '{"rooms":["R201","R204"]}',
    'llm.input_messages.3.message.tool_call_id': 'call_1',
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_2',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'book_room',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"room":"R201"}',
    'llm.token_count.prompt': 97,
    'llm.token_count.completion': 12,
    'llm.token_count.total': 109,
  });
  // A CHAIN span is not an LLM call.
  emit(tracer, 'openinference-chain', 'RunnableSequence', {
    'openinference.span.kind': 'CHAIN',
    'llm.model_name': 'gpt-4o-mini',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'hi',
  });

  // ── Vercel AI SDK (ai@4 generateText): the outer span and its provider call ──
  const outer = emit(tracer, 'vercel-outer', 'ai.generateText', {
    'operation.name': 'ai.generateText room-agent',
    'ai.operationId': 'ai.generateText',
    'ai.model.provider': 'openai.chat',
    'ai.model.id': 'gpt-4o-mini',
    'ai.prompt': '{"system":"You are a booking assistant.","prompt":"Book a room."}',
    'ai.response.text': 'Done.',
    'ai.usage.promptTokens': 300,
    'ai.usage.completionTokens': 30,
  });
  emit(
    tracer,
    'vercel-do-generate',
    'ai.generateText.doGenerate',
    {
      'operation.name': 'ai.generateText.doGenerate room-agent',
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.provider': 'openai.chat',
      'ai.model.id': 'gpt-4o-mini',
      'ai.prompt.format': 'messages',
      'ai.prompt.messages': JSON.stringify([
        { role: 'system', content: 'You are a booking assistant.' },
        { role: 'user', content: [{ type: 'text', text: 'Book a room for 4 people on floor 2.' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'find_rooms', args: { floor: 2, capacity: 4 } }] },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'find_rooms', result: { rooms: ['R201', 'R204'] } }],
        },
      ]),
      'ai.response.finishReason': 'tool-calls',
      'ai.response.text': '',
      'ai.response.toolCalls': JSON.stringify([
        { toolCallType: 'function', toolCallId: 'call_2', toolName: 'book_room', args: '{"room":"R201"}' },
      ]),
      'ai.response.model': 'gpt-4o-mini-2024-07-18',
      'ai.usage.promptTokens': 97,
      'ai.usage.completionTokens': 8,
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o-mini',
    },
    [],
    outer,
  );

  await provider.forceFlush();
  await provider.shutdown();

  // ── A service with no rollout ids (Jaeger-style use) ──
  const plainProvider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'plain-service' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  const plainTracer = plainProvider.getTracer('plain');
  emit(plainTracer, 'no-ids-http', 'GET /rooms', { 'http.request.method': 'GET', 'http.response.status_code': 200 });
  emit(plainTracer, 'no-ids-llm', 'chat m2', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'm2',
    'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hello"}]}]',
    'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"hi"}]}]',
    'gen_ai.usage.input_tokens': 3,
    'gen_ai.usage.output_tokens': 1,
  });
  await plainProvider.forceFlush();
  await plainProvider.shutdown();
  return sent;
}
