/**
 * What every instrumented client of `instrumentation-libraries.test.ts` shares: a tracer provider
 * whose resource names the rollout and attempt (the parent test's), exporting with the official
 * OTLP exporter to the parent's collector, and the conversation each client has with the simulated
 * model — a tool round trip (user → assistant tool call → tool result → answer) and a plain call.
 * Each client runs in its own process (instrumentations patch modules process-wide) and prints
 * one JSON line: what the model said, to compare with what the collector recorded.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ROOM_TOOL } from '../../../examples/room-selector/room-agent.ts';
import { getRoomsAndAvailability } from '../../../examples/room-selector/room-data.ts';

/** The environment the parent test gives each client. */
export interface ClientEnvironment {
  /** The collector's base URL (`/v1/traces` is appended). */
  collectorUrl: string;
  /** The simulated model's OpenAI base URL. */
  modelBaseUrl: string;
  rolloutId: string;
  attemptId: string;
}

/** Reads {@link ClientEnvironment} from `AGL_TEST_*` variables. */
export function clientEnvironment(): ClientEnvironment {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    collectorUrl: read('AGL_TEST_COLLECTOR_URL'),
    modelBaseUrl: read('AGL_TEST_MODEL_BASE_URL'),
    rolloutId: read('AGL_TEST_ROLLOUT_ID'),
    attemptId: read('AGL_TEST_ATTEMPT_ID'),
  };
}

/** The official OTLP/HTTP (protobuf) exporter, pointed at the collector. */
export function collectorExporter(environment: ClientEnvironment): SpanExporter {
  return new OTLPTraceExporter({ url: `${environment.collectorUrl}/v1/traces` });
}

/**
 * A registered tracer provider with the rollout's ids on its resource; `processor` defaults to a
 * batch processor over {@link collectorExporter}.
 */
export function startTracing(environment: ClientEnvironment, processor?: SpanProcessor): NodeTracerProvider {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'instrumented-client',
      'agentlightning.rollout_id': environment.rolloutId,
      'agentlightning.attempt_id': environment.attemptId,
    }),
    spanProcessors: [processor ?? new BatchSpanProcessor(collectorExporter(environment))],
  });
  provider.register();
  return provider;
}

/** The model every client asks for. */
export const MODEL = 'gpt-4.1-nano';
/** The system message of the tool round trip. */
export const SYSTEM_TEXT = 'You are a scheduling assistant.';
/** The user message of the tool round trip: the room selector's first task, which makes the simulated model call the tool. */
export const USER_TEXT = 'Find a room on 2025-10-13 at 16:30 for 30 minutes, 12 attendees. Needs: projector, confphone. Accessible required: true';
/** The user message of the plain call. */
export const PLAIN_TEXT = 'Say hello in five words.';
/** The tool (OpenAI format). */
export { ROOM_TOOL };

/** The tool's result for the arguments the model gave (a JSON string). */
export function runRoomTool(argumentsJson: string): string {
  const args = JSON.parse(argumentsJson) as { date: string; time: string; duration_min: number };
  return JSON.stringify(getRoomsAndAvailability(args.date, args.time, Number(args.duration_min)));
}

/** What a client reports: the tool call the model made, and the two answers. */
export interface ClientReport {
  toolCallId: string;
  toolName: string;
  answer: string;
  plainAnswer: string;
}

/** Prints the report as the last stdout line. */
export function report(value: ClientReport): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** The minimal OpenAI client surface the round trip uses (the SDK, or a wrapper of it). */
interface ChatClient {
  chat: { completions: { create(body: any): Promise<any> } };
}

/** The tool round trip and the plain call through an OpenAI SDK client (instrumented or wrapped). */
export async function openAiConversation(openai: ChatClient): Promise<ClientReport> {
  const messages: any[] = [
    { role: 'system', content: SYSTEM_TEXT },
    { role: 'user', content: USER_TEXT },
  ];
  const first = await openai.chat.completions.create({ model: MODEL, messages, tools: [ROOM_TOOL], tool_choice: 'auto', temperature: 0 });
  const call = first.choices[0].message.tool_calls[0];
  messages.push({ role: 'assistant', content: null, tool_calls: first.choices[0].message.tool_calls });
  messages.push({ role: 'tool', tool_call_id: call.id, content: runRoomTool(call.function.arguments) });
  const second = await openai.chat.completions.create({ model: MODEL, messages, temperature: 0 });
  const plain = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: PLAIN_TEXT }] });
  return { toolCallId: call.id, toolName: call.function.name, answer: second.choices[0].message.content, plainAnswer: plain.choices[0].message.content };
}
