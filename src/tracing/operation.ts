import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { AGL_OPERATION, AGL_OPERATION_INPUT_PREFIX, AGL_OPERATION_NAME, AGL_OPERATION_OUTPUT_PREFIX } from '../semconv/index.ts';
import { exceptionAttributes } from './emitters.ts';
import { flattenAttributes } from './flatten-attributes.ts';
import { AGL_TRACER_NAME } from './tracer-name.ts';

/** Options of {@link operation} and {@link withOperation}. */
export interface OperationOptions {
  /** More attributes of the operation span (nested objects are flattened). @default none */
  attributes?: Record<string, unknown>;
  /** Record the inputs (arguments) on the span. @default true */
  recordInput?: boolean;
  /** Record the output (return value) on the span. @default true */
  recordOutput?: boolean;
}

/**
 * The span of an operation in block form ({@link withOperation}): record inputs and the output
 * explicitly, or let the block's return value be the output.
 */
export class OperationScope {
  /** The `agentlightning.operation` span (ended when the block settles). */
  readonly span: Span;
  #outputSet = false;

  /** @internal */
  constructor(span: Span) {
    this.span = span;
  }

  /** Records named inputs: `agentlightning.operation.input.<name>` (flattened). */
  setInput(inputs: Record<string, unknown>): void {
    const attributes: Attributes = {};
    for (const [name, value] of Object.entries(inputs)) flattenAttributes(value, `${AGL_OPERATION_INPUT_PREFIX}.${name}`, attributes);
    this.span.setAttributes(attributes);
  }

  /** Records the output: `agentlightning.operation.output` (objects flattened under it). */
  setOutput(output: unknown): void {
    this.#outputSet = true;
    this.span.setAttributes(flattenAttributes(output, AGL_OPERATION_OUTPUT_PREFIX));
  }

  /** Sets more attributes on the span (flattened). */
  setAttributes(attributes: Record<string, unknown>): void {
    const flat: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) flattenAttributes(value, key, flat);
    this.span.setAttributes(flat);
  }

  /** Whether {@link setOutput} was called. */
  get outputSet(): boolean {
    return this.#outputSet;
  }
}

function startOperationSpan(name: string, options: OperationOptions): Span {
  if (typeof name !== 'string' || name === '') throw new TypeError('Expected the operation `name` to be a non-empty string');
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(options.attributes ?? {})) flattenAttributes(value, key, attributes);
  attributes[AGL_OPERATION_NAME] = name;
  return trace.getTracer(AGL_TRACER_NAME).startSpan(AGL_OPERATION, { attributes }, context.active());
}

function fail(span: Span, error: unknown): void {
  const attributes = exceptionAttributes(error);
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(attributes['exception.message']) });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `body` in the span (active, so spans started inside are its children), then records the
 * outcome and ends the span: synchronously for a plain value, when settled for a promise.
 */
function runInSpan<R>(span: Span, body: () => R, onValue: (value: unknown) => void): R {
  let result: R;
  try {
    result = context.with(trace.setSpan(context.active(), span), body);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        onValue(value);
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as R;
  }
  onValue(result);
  span.end();
  return result;
}

/**
 * Wraps a function so that each call is an `agentlightning.operation` span named by
 * `agentlightning.operation.name`, with the arguments in `agentlightning.operation.input.args.<i>`
 * and the return value (awaited when a promise) in `agentlightning.operation.output`, both
 * flattened. A throw is recorded on the span (status ERROR) and rethrown.
 *
 * ```ts
 * const search = operation('search', async (query: string) => index.find(query));
 * ```
 */
export function operation<A extends unknown[], R>(name: string, fn: (...args: A) => R, options: OperationOptions = {}): (...args: A) => R {
  if (typeof fn !== 'function') throw new TypeError('Expected `fn` to be a function');
  const recordInput = options.recordInput ?? true;
  const recordOutput = options.recordOutput ?? true;
  const wrapped = function (this: unknown, ...args: A): R {
    const span = startOperationSpan(name, options);
    if (recordInput) {
      const attributes: Attributes = {};
      args.forEach((arg, index) => flattenAttributes(arg, `${AGL_OPERATION_INPUT_PREFIX}.args.${index}`, attributes));
      span.setAttributes(attributes);
    }
    return runInSpan(span, () => fn.apply(this, args), (value) => {
      if (recordOutput) span.setAttributes(flattenAttributes(value, AGL_OPERATION_OUTPUT_PREFIX));
    });
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name || name });
  return wrapped;
}

/**
 * Runs a block as an `agentlightning.operation` span (block form of {@link operation}): the block
 * gets an {@link OperationScope} to record inputs and the output; when it does not call
 * `setOutput`, its return value (awaited) is recorded as the output.
 *
 * ```ts
 * const answer = await withOperation('plan', async (op) => {
 *   op.setInput({ question });
 *   return await planner.run(question);
 * });
 * ```
 */
export function withOperation<R>(name: string, block: (scope: OperationScope) => R, options: OperationOptions = {}): R {
  if (typeof block !== 'function') throw new TypeError('Expected `block` to be a function');
  const recordOutput = options.recordOutput ?? true;
  const span = startOperationSpan(name, options);
  const scope = new OperationScope(span);
  return runInSpan(span, () => block(scope), (value) => {
    if (recordOutput && !scope.outputSet) span.setAttributes(flattenAttributes(value, AGL_OPERATION_OUTPUT_PREFIX));
  });
}
