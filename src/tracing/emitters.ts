import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import {
  AGL_ANNOTATION,
  AGL_EXCEPTION,
  AGL_MESSAGE,
  AGL_MESSAGE_BODY,
  AGL_OBJECT,
  AGL_OBJECT_JSON,
  AGL_OBJECT_LITERAL,
  AGL_OBJECT_TYPE,
  aglRewardNameAttribute,
  aglRewardValueAttribute,
  PRIMARY_REWARD_NAME,
} from '../semconv/index.ts';
import { flattenAttributes, isPlainObject, jsonOrString } from './flatten-attributes.ts';
import { AGL_TRACER_NAME } from './tracer-name.ts';

/** OpenTelemetry's exception attributes (semantic conventions `exception.*`). */
export const EXCEPTION_TYPE = 'exception.type';
/** The exception's message. */
export const EXCEPTION_MESSAGE = 'exception.message';
/** The exception's stack trace. */
export const EXCEPTION_STACKTRACE = 'exception.stacktrace';
/** Whether the exception escaped the span's scope. */
export const EXCEPTION_ESCAPED = 'exception.escaped';

/** A multi-dimensional reward: named dimensions, one of them primary. */
export interface RewardDimensions {
  /** The primary dimension's name (recorded at index 0). @default the first key of `dimensions` */
  primary?: string;
  /** Each dimension's value, finite numbers. */
  dimensions: Record<string, number>;
}

/** Options of every emitter. */
export interface EmitOptions {
  /** More attributes of the span (nested objects are flattened). @default none */
  attributes?: Record<string, unknown>;
}

/** The tracer the emitters use: the global API's, scope `agentlightning`. */
function emitterTracer() {
  return trace.getTracer(AGL_TRACER_NAME);
}

/** Starts and ends a span in the active context (so it is stamped with the current rollout). */
function emitSpan(name: string, attributes: Attributes, configure?: (span: Span) => void): Span {
  const span = emitterTracer().startSpan(name, { attributes }, context.active());
  try {
    configure?.(span);
  } finally {
    span.end();
  }
  return span;
}

function extraAttributes(options: EmitOptions | undefined): Attributes {
  return options?.attributes ? flattenObject(options.attributes) : {};
}

function flattenObject(values: Record<string, unknown>): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(values)) flattenAttributes(value, key, attributes);
  return attributes;
}

/**
 * Emits an `agentlightning.annotation` span: rewards, tags, links or metadata attached to the
 * current part of the rollout. Nested objects are flattened into dotted keys
 * (`{ 'agentlightning.reward': [{ name, value }] }` → `agentlightning.reward.0.name`…).
 */
export function emitAnnotation(attributes: Record<string, unknown>): Span {
  if (!isPlainObject(attributes)) throw new TypeError('Expected `attributes` to be a plain object');
  return emitSpan(AGL_ANNOTATION, flattenObject(attributes), (span) => span.setStatus({ code: SpanStatusCode.OK }));
}

/**
 * Emits a reward as an `agentlightning.annotation` span with `agentlightning.reward.<i>.name` /
 * `.value`: a number is the primary reward (named `primary`); named dimensions put the primary one
 * at index 0 and the others after it, in their order. Values must be finite numbers.
 */
export function emitReward(reward: number | RewardDimensions, options?: EmitOptions): Span {
  const dimensions: [string, number][] = [];
  if (typeof reward === 'number') {
    dimensions.push([PRIMARY_REWARD_NAME, checkReward(reward, PRIMARY_REWARD_NAME)]);
  } else if (isPlainObject(reward) && isPlainObject(reward.dimensions)) {
    const entries = Object.entries(reward.dimensions);
    if (entries.length === 0) throw new TypeError('Expected `dimensions` to hold at least one reward');
    const primary = reward.primary ?? entries[0][0];
    const primaryEntry = entries.find(([name]) => name === primary);
    if (!primaryEntry) throw new TypeError(`Expected \`primary\` to name one of the dimensions (${entries.map(([name]) => name).join(', ')}), got \`${primary}\``);
    dimensions.push([primary, checkReward(primaryEntry[1], primary)]);
    for (const [name, value] of entries) if (name !== primary) dimensions.push([name, checkReward(value, name)]);
  } else {
    throw new TypeError('Expected a reward: a number, or `{ primary?, dimensions: { name: number } }`');
  }
  const attributes = extraAttributes(options);
  dimensions.forEach(([name, value], index) => {
    attributes[aglRewardNameAttribute(index)] = name;
    attributes[aglRewardValueAttribute(index)] = value;
  });
  return emitSpan(AGL_ANNOTATION, attributes, (span) => span.setStatus({ code: SpanStatusCode.OK }));
}

function checkReward(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`Expected reward \`${name}\` to be a finite number, got \`${String(value)}\``);
  }
  return value;
}

/** Emits an `agentlightning.message` span with the text in `agentlightning.message.body`. */
export function emitMessage(message: string, options?: EmitOptions): Span {
  if (typeof message !== 'string') throw new TypeError(`Expected \`message\` to be a string, got \`${typeof message}\``);
  return emitSpan(AGL_MESSAGE, { ...extraAttributes(options), [AGL_MESSAGE_BODY]: message });
}

/**
 * Emits an `agentlightning.object` span: `agentlightning.object.type` (`string`, `number`,
 * `boolean`, `array`, `object`, `null` or the class name), and the value in
 * `agentlightning.object.literal` (strings, numbers, booleans) or `agentlightning.object.json`.
 */
export function emitObject(value: unknown, options?: EmitOptions): Span {
  const attributes = extraAttributes(options);
  attributes[AGL_OBJECT_TYPE] = objectTypeName(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    attributes[AGL_OBJECT_LITERAL] = value;
  } else if (typeof value === 'bigint') {
    attributes[AGL_OBJECT_LITERAL] = value.toString();
  } else {
    attributes[AGL_OBJECT_JSON] = jsonOrString(value === undefined ? null : value);
  }
  return emitSpan(AGL_OBJECT, attributes);
}

function objectTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name && name !== 'Object' ? name : 'object';
}

/**
 * Emits an `agentlightning.exception` span with OpenTelemetry's `exception.type`,
 * `exception.message`, `exception.stacktrace` and an `exception` event; the span's status is
 * ERROR with the message. Anything thrown is accepted (a non-Error is recorded as its string).
 */
export function emitException(error: unknown, options?: EmitOptions): Span {
  const attributes = { ...extraAttributes(options), ...exceptionAttributes(error) };
  return emitSpan(AGL_EXCEPTION, attributes, (span) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(attributes[EXCEPTION_MESSAGE]) });
  });
}

/** `exception.*` attributes of a thrown value. */
export function exceptionAttributes(error: unknown): Attributes {
  if (error instanceof Error) {
    const attributes: Attributes = { [EXCEPTION_TYPE]: error.name || error.constructor.name, [EXCEPTION_MESSAGE]: error.message, [EXCEPTION_ESCAPED]: true };
    if (error.stack) attributes[EXCEPTION_STACKTRACE] = error.stack;
    return attributes;
  }
  return { [EXCEPTION_TYPE]: typeof error, [EXCEPTION_MESSAGE]: jsonOrString(error), [EXCEPTION_ESCAPED]: true };
}
