/**
 * The span mapper: what the collector stores about a span besides the raw span.
 *
 * It runs on every ingested span, so an ordinary span (no LLM or reward content) must cost a few
 * hundred nanoseconds at most. One pass over the attribute keys classifies them by their first
 * characters (no string comparisons for keys that cannot matter), the resource's fields are cached
 * per resource object (spans of one `ResourceSpans` share it), and the parsing of messages and
 * rewards only runs for spans whose keys said so.
 */
import type { Attributes, SpanRecord } from '../spans/index.ts';
import type { LlmCallRecord, RewardRecord, SpanMapping } from './span-mapping.ts';
import { readInteger } from './attribute-values.ts';
import { readGenAiCall } from './gen-ai-call.ts';
import { readLangfuseCall } from './langfuse-call.ts';
import { readOpenInferenceCall } from './openinference-call.ts';
import { readRewards } from './rewards.ts';
import {
  AGENTOPS_ENTITY_OUTPUT,
  AGENTOPS_TASK_OUTPUT,
  AGL_ATTEMPT_ID,
  AGL_ROLLOUT_ID,
  AGL_SPAN_SEQUENCE_ID,
  LEGACY_REWARD,
  LOGFIRE_PENDING_SPAN,
  LOGFIRE_SPAN_TYPE,
  OPENINFERENCE_SPAN_KIND,
  SERVICE_NAME,
} from './semantic-conventions.ts';
import { readVercelAiCall, vercelSpanRole } from './vercel-ai-call.ts';

/** Some `agentlightning.*` key other than a reward (ids, tags, links…). */
const HAS_AGL = 1;
/** `agentlightning.reward…` */
const HAS_AGL_REWARD = 2;
/** `agentops.task.output` / `agentops.entity.output` */
const HAS_AGENTOPS_OUTPUT = 4;
/** `reward` */
const HAS_PLAIN_REWARD = 8;
/** `gen_ai.*`, or a `gen_ai.*` span event */
const HAS_GEN_AI = 16;
/** `llm.*` or `openinference.span.kind` */
const HAS_LLM = 32;
/** `ai.*` */
const HAS_VERCEL_AI = 64;
/** `langfuse.observation.*` */
const HAS_LANGFUSE = 128;
/** `logfire.span_type` */
const HAS_LOGFIRE_SPAN_TYPE = 256;

const REWARD_FLAGS = HAS_AGL_REWARD | HAS_AGENTOPS_OUTPUT | HAS_PLAIN_REWARD;
const LLM_FLAGS = HAS_GEN_AI | HAS_LLM | HAS_VERCEL_AI | HAS_LANGFUSE;

/** Classifies the keys of `attributes` into the flags above. */
function scanKeys(attributes: Attributes): number {
  let flags = 0;
  for (const key in attributes) {
    switch (key.charCodeAt(0)) {
      case 97: // a
        if (key.charCodeAt(1) === 105) {
          if (key.charCodeAt(2) === 46) flags |= HAS_VERCEL_AI; // "ai."
        } else if (key.charCodeAt(1) === 103 && key.charCodeAt(4) === 116) {
          if (key.charCodeAt(5) === 108 && key.charCodeAt(14) === 46 && key.startsWith('agentlightning.')) {
            // "agentlightning.re…" is a reward key; "agentlightning.ro…" (rollout_id) and the rest are not.
            flags |= key.charCodeAt(15) === 114 && key.charCodeAt(16) === 101 ? HAS_AGL_REWARD : HAS_AGL;
          } else if (key === AGENTOPS_TASK_OUTPUT || key === AGENTOPS_ENTITY_OUTPUT) {
            flags |= HAS_AGENTOPS_OUTPUT;
          }
        }
        break;
      case 103: // g: "gen_ai."
        if (key.charCodeAt(3) === 95 && key.charCodeAt(6) === 46 && key.startsWith('gen_ai.')) flags |= HAS_GEN_AI;
        break;
      case 108: // l: "llm.", "langfuse.observation.", "logfire.span_type"
        if (key.charCodeAt(1) === 108) {
          if (key.charCodeAt(2) === 109 && key.charCodeAt(3) === 46) flags |= HAS_LLM;
        } else if (key.charCodeAt(1) === 97) {
          if (key.startsWith('langfuse.observation.')) flags |= HAS_LANGFUSE;
        } else if (key === LOGFIRE_SPAN_TYPE) {
          flags |= HAS_LOGFIRE_SPAN_TYPE;
        }
        break;
      case 111: // o
        if (key === OPENINFERENCE_SPAN_KIND) flags |= HAS_LLM;
        break;
      case 114: // r
        if (key === LEGACY_REWARD) flags |= HAS_PLAIN_REWARD;
        break;
    }
  }
  return flags;
}

/** The `agentlightning.*` ids and `service.name` of a resource. */
interface ResourceFields {
  rolloutId: string | null;
  attemptId: string | null;
  sequenceId: number | null;
  serviceName: string | null;
}

// Spans of one ResourceSpans share their resource object (read-only by contract), and a batch
// holds few resources: remembering the last one answers almost every span without a lookup.
let lastResource: Attributes | null = null;
let lastResourceFields: ResourceFields = { rolloutId: null, attemptId: null, sequenceId: null, serviceName: null };

function resourceFields(resource: Attributes): ResourceFields {
  if (resource === lastResource) return lastResourceFields;
  const serviceName = resource[SERVICE_NAME];
  const fields: ResourceFields = {
    rolloutId: readId(resource[AGL_ROLLOUT_ID]),
    attemptId: readId(resource[AGL_ATTEMPT_ID]),
    sequenceId: readInteger(resource[AGL_SPAN_SEQUENCE_ID]),
    serviceName: typeof serviceName === 'string' && serviceName !== '' ? serviceName : null,
  };
  lastResource = resource;
  lastResourceFields = fields;
  return fields;
}

/** An id: a non-empty string, or a number/bigint written as one. */
export function readId(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint') return value.toString();
  return null;
}

/**
 * Maps one span to what the collector stores besides it: its rollout/attempt/sequence ids, its
 * service, its rewards and its LLM call. Never throws on malformed attribute values: what cannot be
 * read is left out.
 *
 * Ids: a span attribute overrides the resource attribute; an empty or unreadable span value counts
 * as absent. The sequence id may arrive as an int, a bigint or a string of an integer.
 *
 * Rewards: see {@link readRewards}.
 *
 * A pending copy of a span (`logfire.span_type = pending_span`, sent before the finished span) has
 * its ids but no rewards and no LLM call: the finished span brings them, counted once.
 *
 * LLM calls, when a span carries more than one convention, come from the first of Vercel AI SDK,
 * OTel GenAI, OpenInference, Langfuse that holds messages, else from the first that recognises an LLM call
 * at all (model or token counts only, as when content capture is off). The AI SDK comes first
 * because its provider-call spans (`*.doGenerate`, `*.doStream`) also carry `gen_ai.*` summary
 * attributes while `ai.*` holds their messages; any other AI SDK span (`ai.generateText`,
 * `ai.toolCall`…) is no LLM call at all, whatever else it carries, so that a call is counted once.
 */
export function mapSpan(span: SpanRecord): SpanMapping {
  const attributes = span.attributes;
  let flags = scanKeys(attributes);
  const events = span.events;
  if (events.length > 0 && (flags & HAS_GEN_AI) === 0) {
    for (let index = 0; index < events.length; index++) {
      if (events[index]!.name.startsWith('gen_ai.')) {
        flags |= HAS_GEN_AI;
        break;
      }
    }
  }

  const resource = resourceFields(span.resource);
  let rolloutId = resource.rolloutId;
  let attemptId = resource.attemptId;
  let sequenceId = resource.sequenceId;
  if ((flags & HAS_AGL) !== 0) {
    rolloutId = readId(attributes[AGL_ROLLOUT_ID]) ?? rolloutId;
    attemptId = readId(attributes[AGL_ATTEMPT_ID]) ?? attemptId;
    sequenceId = readInteger(attributes[AGL_SPAN_SEQUENCE_ID]) ?? sequenceId;
  }

  // A pending copy (Logfire sends one when a span starts, then the finished span) holds what the
  // finished span will hold, minus its outcome: reading it too would count its call and rewards twice.
  if ((flags & HAS_LOGFIRE_SPAN_TYPE) !== 0 && attributes[LOGFIRE_SPAN_TYPE] === LOGFIRE_PENDING_SPAN) {
    return { rolloutId, attemptId, sequenceId, serviceName: resource.serviceName, rewards: [], llmCall: null };
  }
  const rewards: RewardRecord[] = (flags & REWARD_FLAGS) !== 0 ? readRewardsSafely(span) : [];
  const llmCall = (flags & LLM_FLAGS) !== 0 ? readLlmCallSafely(span, flags) : null;
  return { rolloutId, attemptId, sequenceId, serviceName: resource.serviceName, rewards, llmCall };
}

// The readers are written not to throw; these guards keep a span whose values defeat them anyway
// (say, JSON nested deeper than the stack) from failing its whole batch.
function readRewardsSafely(span: SpanRecord): RewardRecord[] {
  try {
    return readRewards(span);
  } catch {
    return [];
  }
}

function readLlmCallSafely(span: SpanRecord, flags: number): LlmCallRecord | null {
  try {
    return readLlmCall(span, flags);
  } catch {
    return null;
  }
}

function readLlmCall(span: SpanRecord, flags: number): LlmCallRecord | null {
  let vercelAi: LlmCallRecord | null = null;
  if ((flags & HAS_VERCEL_AI) !== 0) {
    const role = vercelSpanRole(span);
    if (role === 'other') return null;
    if (role === 'provider-call') {
      vercelAi = readVercelAiCall(span);
      if (hasMessages(vercelAi)) return vercelAi;
    }
  }
  const genAi = (flags & HAS_GEN_AI) !== 0 ? readGenAiCall(span) : null;
  if (genAi !== null && hasMessages(genAi)) return genAi;
  const openInference = (flags & HAS_LLM) !== 0 ? readOpenInferenceCall(span) : null;
  if (openInference !== null && hasMessages(openInference)) return openInference;
  const langfuse = (flags & HAS_LANGFUSE) !== 0 ? readLangfuseCall(span) : null;
  if (langfuse !== null && hasMessages(langfuse)) return langfuse;
  return vercelAi ?? genAi ?? openInference ?? langfuse;
}

function hasMessages(call: LlmCallRecord): boolean {
  return call.inputMessages.length > 0 || call.outputMessages.length > 0;
}
