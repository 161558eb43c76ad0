/** OpenInference's `@arizeai/openinference-instrumentation-langchain` on LangChain.js `ChatOpenAI` with a bound tool. */
import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { MODEL, PLAIN_TEXT, ROOM_TOOL, SYSTEM_TEXT, USER_TEXT, clientEnvironment, report, runRoomTool, startTracing } from './client-harness.ts';

const environment = clientEnvironment();
const provider = startTracing(environment);
new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule);
const model = new ChatOpenAI({ model: MODEL, temperature: 0, apiKey: 'sim', configuration: { baseURL: environment.modelBaseUrl } });
const messages: BaseMessage[] = [new SystemMessage(SYSTEM_TEXT), new HumanMessage(USER_TEXT)];
const first = await model.bindTools([ROOM_TOOL], { tool_choice: 'auto' }).invoke(messages);
const call = first.tool_calls![0]!;
messages.push(first, new ToolMessage({ tool_call_id: call.id!, content: runRoomTool(JSON.stringify(call.args)) }));
const second = await model.invoke(messages);
const plain = await model.invoke([new HumanMessage(PLAIN_TEXT)]);
report({ toolCallId: call.id!, toolName: call.name, answer: second.text, plainAnswer: plain.text });
await provider.shutdown();
