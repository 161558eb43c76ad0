/** The Vercel AI SDK (`generateText` with a tool, two steps; `experimental_telemetry` on) over `@ai-sdk/openai`. */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { MODEL, PLAIN_TEXT, ROOM_TOOL, SYSTEM_TEXT, USER_TEXT, clientEnvironment, report, runRoomTool, startTracing } from './client-harness.ts';

const environment = clientEnvironment();
const provider = startTracing(environment);
const openai = createOpenAI({ baseURL: environment.modelBaseUrl, apiKey: 'sim' });
const telemetry = { isEnabled: true, tracer: provider.getTracer('ai') };
const roomTool = tool({
  description: ROOM_TOOL.function.description,
  inputSchema: jsonSchema<{ date: string; time: string; duration_min: number }>(ROOM_TOOL.function.parameters as any),
  execute: async (args) => runRoomTool(JSON.stringify(args)),
});
const result = await generateText({
  model: openai.chat(MODEL),
  system: SYSTEM_TEXT,
  prompt: USER_TEXT,
  tools: { [ROOM_TOOL.function.name]: roomTool },
  stopWhen: stepCountIs(2),
  temperature: 0,
  experimental_telemetry: telemetry,
});
const call = result.steps[0]!.toolCalls[0]!;
const plain = await generateText({ model: openai.chat(MODEL), prompt: PLAIN_TEXT, experimental_telemetry: telemetry });
report({ toolCallId: call.toolCallId, toolName: call.toolName, answer: result.text, plainAnswer: plain.text });
await provider.shutdown();
