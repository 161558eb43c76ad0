/**
 * The agent of Agent Lightning's store benchmark, made with the OpenTelemetry SDK: 1 to `turns`
 * rounds, each a span `agent<i>` around `round<i>_1` and `round<i>_2` (random flattened attributes,
 * the task on one of them, a random sleep in each), a reward in [0, 1) half the time; then a
 * `final` span (after a sleep) and the final reward in [1, 2]. A runner's spans go out in one
 * export at the end of the rollout (official OTLP/protobuf exporter), as Agent Lightning's tracer
 * flushes at the end of each rollout; the rollout's ids are span attributes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import type { Attributes, Span as ApiSpan, Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AttemptedRollout } from '../../src/store/index.ts';

const WORDS = Array.from({ length: 512 }, () => randomText(5 + Math.floor(Math.random() * 296)));

function randomText(length: number): string {
  let text = '';
  while (text.length < length) text += Math.random().toString(36).slice(2);
  return text.slice(0, length);
}

/** A random nested dictionary (depth 1-3, breadth 2-6), flattened to dotted keys, as the original. */
function randomAttributes(depth = 1 + Math.floor(Math.random() * 3), prefix = ''): Attributes {
  const attributes: Attributes = {};
  const breadth = 2 + Math.floor(Math.random() * 5);
  for (let index = 0; index < breadth; index++) {
    const key = `${prefix}${randomText(3 + Math.floor(Math.random() * 18))}`;
    if (depth > 1 && Math.random() < 0.5) Object.assign(attributes, randomAttributes(depth - 1, `${key}.`));
    else attributes[key] = WORDS[Math.floor(Math.random() * WORDS.length)];
  }
  return attributes;
}

/**
 * Attribute sets made ahead and drawn at random: making them per span took a fifth of the
 * runners' CPU, which shares the two cores with the collector.
 */
export const ATTRIBUTE_SETS: readonly Attributes[] = Array.from({ length: 1024 }, () => randomAttributes());
const someAttributes = (): Attributes => ATTRIBUTE_SETS[Math.floor(Math.random() * ATTRIBUTE_SETS.length)];

/** Keeps the spans a runner's tracer ended, for one export per rollout. */
class CollectingProcessor implements SpanProcessor {
  spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One runner's tracer and exporter. */
export class BenchAgent {
  readonly #tracer: Tracer;
  readonly #processor = new CollectingProcessor();
  readonly #exporter: OTLPTraceExporter;

  constructor(url: string) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bench-store-agent' }),
      spanProcessors: [this.#processor],
    });
    this.#tracer = provider.getTracer('bench-store');
    this.#exporter = new OTLPTraceExporter({ url: new URL('/v1/traces', url).href, timeoutMillis: 60_000 });
  }

  /**
   * Runs one rollout: up to `maxTurns` rounds, each sleep uniform in [0, `sleepSeconds`] (none
   * when 0). Resolves, once its spans are acknowledged, with the seconds of sleep it drew.
   */
  async run(rollout: AttemptedRollout, maxTurns: number, sleepSeconds: number): Promise<number> {
    const ids: Attributes = { 'agentlightning.rollout_id': rollout.rollout_id, 'agentlightning.attempt_id': rollout.attempt.attempt_id };
    const tracer = this.#tracer;
    let slept = 0;
    const pause = async (): Promise<void> => {
      if (sleepSeconds <= 0) return;
      const seconds = Math.random() * sleepSeconds;
      slept += seconds;
      await sleep(seconds * 1000);
    };
    const child = async (parent: ApiSpan, name: string, attributes: Attributes): Promise<void> => {
      const span = tracer.startSpan(name, { attributes: { ...ids, ...attributes } }, trace.setSpan(context.active(), parent));
      await pause();
      span.end();
    };
    const reward = (value: number): void => {
      tracer
        .startSpan('agentlightning.annotation', {
          attributes: { ...ids, 'agentlightning.reward.0.name': 'primary', 'agentlightning.reward.0.value': value },
        })
        .end();
    };
    const turns = 1 + Math.floor(Math.random() * maxTurns);
    const taskTurn = Math.floor(Math.random() * turns);
    for (let turn = 0; turn < turns; turn++) {
      const agent = tracer.startSpan(`agent${turn}`, { attributes: ids });
      const first = { ...someAttributes() };
      if (turn === taskTurn) first.task = rollout.input as string;
      await child(agent, `round${turn}_1`, first);
      await child(agent, `round${turn}_2`, someAttributes());
      agent.end();
      if (Math.random() < 0.5) reward(Math.random());
    }
    const final = tracer.startSpan('final', { attributes: { ...ids, ...someAttributes() } });
    await pause();
    final.end();
    reward(1 + Math.random());
    await this.#export();
    return slept;
  }

  /** Idempotent. */
  shutdown(): Promise<void> {
    return this.#exporter.shutdown();
  }

  #export(): Promise<void> {
    const spans = this.#processor.spans;
    this.#processor.spans = [];
    return new Promise((resolve, reject) => {
      this.#exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) resolve();
        else reject(result.error ?? new Error('OTLP export failed'));
      });
    });
  }
}
