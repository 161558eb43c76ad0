/**
 * The log-record mapper: what the collector stores about an OTLP log record besides the record —
 * its rollout and attempt ids, its event name, and, for a GenAI event, the OpenAI-format messages it
 * carries for the LLM call of its span.
 *
 * GenAI events are read by the same code as GenAI span events (`gen-ai-messages.ts`): a log record
 * is seen as an event named by its event name whose attributes are its body map, so one message
 * event (`gen_ai.user.message` with body `{content}`…) or one choice (`gen_ai.choice` with body
 * `{index, finish_reason, message}`) becomes the message(s) a span event of the same name would.
 * The newer single-event form (`gen_ai.client.inference.operation.details`) carries the whole call in
 * its attributes, read like a span's `gen_ai.input.messages` / `gen_ai.output.messages`.
 */
import type { AttributeValue, Attributes } from '../spans/index.ts';
import type { ChatMessage } from './chat-message.ts';
import { isRecord, readInteger, readString, type LooseRecord } from './attribute-values.ts';
import { readGenAiInputMessages, readGenAiOutputMessages } from './gen-ai-messages.ts';
import { readId } from './map-span.ts';
import {
  AGL_ATTEMPT_ID,
  AGL_ROLLOUT_ID,
  EVENT_NAME,
  GEN_AI_ASSISTANT_MESSAGE_EVENT,
  GEN_AI_CHOICE_EVENT,
  GEN_AI_CONTENT_COMPLETION_EVENT,
  GEN_AI_CONTENT_PROMPT_EVENT,
  GEN_AI_INFERENCE_DETAILS_EVENT,
  GEN_AI_SYSTEM_MESSAGE_EVENT,
  GEN_AI_TOOL_MESSAGE_EVENT,
  GEN_AI_USER_MESSAGE_EVENT,
} from './semantic-conventions.ts';

/** What the mapper reads from a log record (the fields of the decoded record it needs). */
export interface LogRecordInput {
  /** OTLP's `event_name` field, `''` when absent. */
  eventName: string;
  attributes: Attributes;
  body: AttributeValue;
  resource: Attributes;
}

/** The messages one GenAI log record adds to the LLM call of its span. */
export interface LogLlmMessages {
  /** Input messages, in the order the record holds them. */
  inputMessages: ChatMessage[];
  /** Output messages (one per choice). */
  outputMessages: ChatMessage[];
  /** The finish reasons of the choices it holds. */
  finishReasons: string[];
  /** A `gen_ai.choice`'s `index` (output messages of a call are ordered by it), else `null`. */
  choiceIndex: number | null;
}

/** What the collector stores about a log record besides the raw record. */
export interface LogRecordMapping {
  /** `agentlightning.rollout_id` of the record's attributes, else of its resource. */
  rolloutId: string | null;
  /** `agentlightning.attempt_id` of the record's attributes, else of its resource. */
  attemptId: string | null;
  /** OTLP's `event_name`, else the `event.name` attribute; `null` for a plain log line. */
  eventName: string | null;
  /** The messages of a GenAI event; `null` for any other record. */
  llmMessages: LogLlmMessages | null;
}

const INPUT_EVENTS = new Set([
  GEN_AI_SYSTEM_MESSAGE_EVENT,
  GEN_AI_USER_MESSAGE_EVENT,
  GEN_AI_ASSISTANT_MESSAGE_EVENT,
  GEN_AI_TOOL_MESSAGE_EVENT,
  GEN_AI_CONTENT_PROMPT_EVENT,
]);
const OUTPUT_EVENTS = new Set([GEN_AI_CHOICE_EVENT, GEN_AI_CONTENT_COMPLETION_EVENT]);

/** Maps one log record. Never throws on malformed values: what cannot be read is left out. */
export function mapLogRecord(record: LogRecordInput): LogRecordMapping {
  const { attributes, resource } = record;
  const eventName = record.eventName !== '' ? record.eventName : readString(attributes[EVENT_NAME]);
  return {
    rolloutId: readId(attributes[AGL_ROLLOUT_ID]) ?? readId(resource[AGL_ROLLOUT_ID]),
    attemptId: readId(attributes[AGL_ATTEMPT_ID]) ?? readId(resource[AGL_ATTEMPT_ID]),
    eventName: eventName === '' ? null : eventName,
    llmMessages: eventName === null || !eventName.startsWith('gen_ai.') ? null : readLlmMessages(eventName, record),
  };
}

function readLlmMessages(eventName: string, record: LogRecordInput): LogLlmMessages | null {
  if (eventName === GEN_AI_INFERENCE_DETAILS_EVENT) {
    // The call's content is in the attributes (a sender may put it in a body map instead).
    const attributes = { ...(isRecord(record.body) ? (record.body as LooseRecord) : {}), ...(record.attributes as LooseRecord) };
    const finishReasons: string[] = [];
    const inputMessages = readGenAiInputMessages(NO_EVENTS, attributes);
    const outputMessages = readGenAiOutputMessages(NO_EVENTS, attributes, finishReasons);
    return { inputMessages, outputMessages, finishReasons, choiceIndex: null };
  }
  const isInput = INPUT_EVENTS.has(eventName);
  if (!isInput && !OUTPUT_EVENTS.has(eventName)) return null;
  // The body map is the event's content; a plain string body is a message's text.
  const body: LooseRecord = isRecord(record.body)
    ? (record.body as LooseRecord)
    : typeof record.body === 'string'
      ? { content: record.body }
      : (record.attributes as LooseRecord);
  const source = { events: [{ name: eventName, attributes: body as Attributes }] };
  if (isInput) {
    return { inputMessages: readGenAiInputMessages(source, {}), outputMessages: [], finishReasons: [], choiceIndex: null };
  }
  const finishReasons: string[] = [];
  const outputMessages = readGenAiOutputMessages(source, {}, finishReasons);
  const choiceIndex = eventName === GEN_AI_CHOICE_EVENT ? (readInteger(body.index) ?? 0) : null;
  return { inputMessages: [], outputMessages, finishReasons, choiceIndex };
}

const NO_EVENTS = { events: [] } as const;
