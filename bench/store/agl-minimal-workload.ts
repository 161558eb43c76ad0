/**
 * The workload of the `agl-minimal` shape of `bench:store`: the call mix of Agent Lightning v0.3's
 * `tests/benchmark/benchmark_store.py` at its "minimal production scale" (batch mode, 4,096 tasks,
 * batches of 256, 32 runners, up to 6 rounds, sleeps of up to 0.5 s), made with our `StoreClient`
 * and the official OTLP/protobuf exporter standing in for its Python client and runners. It
 * measures the collector's CPU per rollout, not throughput: the sleeps bound the rate, as there.
 *
 * The calls, in the original's counts and order:
 * - the algorithm, per batch: `add_resources`, then `enqueue_rollout` once per task (one rollout
 *   per call), then every 5 s `wait_for_rollouts(all ids of the batch, timeout=0)` and, for each
 *   rollout it newly sees finished, `query_spans(rollout_id, attempt_id="latest")` (limit -1,
 *   sorted by sequence id), checking the task span and the final reward;
 * - each runner: `dequeue_rollout(worker_id)` (5 s ± 0.5 s before the next try when the queue is
 *   empty), `get_resources_by_id`, the agent, `update_attempt(status="succeeded")`; and a heartbeat
 *   `update_worker` every 10 s ± 0.5 s with a system snapshot;
 * - the agent: 1–6 rounds, each a span `agent<i>` around `round<i>_1` and `round<i>_2` (each after
 *   a random sleep of up to 0.5 s, with random flattened attributes, the task on one of them), a
 *   reward half the time; then `final` (after a sleep) and a reward in [1, 2]. Agent Lightning's
 *   tracer exports every span as it ends (`SimpleSpanProcessor`), one OTLP request per span, with
 *   the rollout and attempt ids merged into the resource: so here.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import type { Attributes, Span as ApiSpan } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { StoreClient } from '../../src/store/index.ts';
import type { AttemptedRollout, Span } from '../../src/store/index.ts';

/** The workload's sizes; the defaults are the original's minimal production scale. */
export interface AglMinimalOptions {
  /** @default 4096 */
  totalTasks?: number;
  /** @default 256 */
  batchSize?: number;
  /** @default 32 */
  runners?: number;
  /** @default 6 */
  maxRounds?: number;
  /** @default 0.5 */
  sleepSeconds?: number;
  /** The algorithm's pause between two `wait_for_rollouts` polls. @default 5000 */
  pollMillis?: number;
  /** A runner's pause after an empty dequeue (± `jitterMillis`). @default 5000 */
  runnerPollMillis?: number;
  /** A runner's heartbeat interval (± `jitterMillis`). @default 10000 */
  heartbeatMillis?: number;
  /** @default 500 */
  jitterMillis?: number;
  /** Attribute sets drawn at random for the agent's spans. */
  attributeSets: readonly Attributes[];
}

/** What the run did: its time and the requests it made, by endpoint. */
export interface AglMinimalResult {
  seconds: number;
  rollouts: number;
  spans: number;
  requests: Map<string, number>;
}

/**
 * Counts each export and hands it to the official exporter, one at a time: Python's
 * `SimpleSpanProcessor` exports synchronously, so a runner's spans arrive in the order they ended
 * (JavaScript's would send them concurrently, and the last reward could be numbered before one
 * sent earlier).
 */
class SerialCountingExporter implements SpanExporter {
  readonly #inner: OTLPTraceExporter;
  readonly #count: () => void;
  #previous: Promise<unknown> = Promise.resolve();
  constructor(inner: OTLPTraceExporter, count: () => void) {
    this.#inner = inner;
    this.#count = count;
  }
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.#previous = this.#previous.then(
      () =>
        new Promise<void>((resolve) => {
          this.#count();
          this.#inner.export(spans, (result) => {
            if (result.code !== ExportResultCode.SUCCESS) process.stderr.write(`agl-minimal: an OTLP export failed: ${String(result.error)}\n`);
            resultCallback(result);
            resolve();
          });
        }),
    );
  }
  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }
}

/** Runs the workload against the collector at `url`. */
export async function runAglMinimal(url: string, options: AglMinimalOptions): Promise<AglMinimalResult> {
  const totalTasks = options.totalTasks ?? 4096;
  const batchSize = options.batchSize ?? 256;
  const runners = options.runners ?? 32;
  const maxRounds = options.maxRounds ?? 6;
  const sleepSeconds = options.sleepSeconds ?? 0.5;
  const pollMillis = options.pollMillis ?? 5000;
  const runnerPollMillis = options.runnerPollMillis ?? 5000;
  const heartbeatMillis = options.heartbeatMillis ?? 10_000;
  const jitterMillis = options.jitterMillis ?? 500;
  const { attributeSets } = options;

  const requests = new Map<string, number>();
  const count = (endpoint: string): void => {
    requests.set(endpoint, (requests.get(endpoint) ?? 0) + 1);
  };
  const client = new StoreClient({ baseUrl: url, timeoutMillis: 600_000 });
  const jittered = (millis: number): number => millis + (Math.random() * 2 - 1) * jitterMillis;
  let spans = 0;
  let finished = false;
  const stop = new AbortController();
  // Every runner's sleeps listen to it.
  setMaxListeners(0, stop.signal);

  const runnerLoop = async (index: number): Promise<void> => {
    const workerId = `runner-${index}`;
    const exporter = new SerialCountingExporter(new OTLPTraceExporter({ url: new URL('/v1/traces', url).href, timeoutMillis: 60_000 }), () => count('POST /v1/traces'));
    const heartbeat = (async () => {
      while (!finished) {
        await sleep(jittered(heartbeatMillis), undefined, { signal: stop.signal }).catch(() => undefined);
        if (finished) break;
        count('POST /v1/agl/workers/{worker_id}');
        await client.updateWorker(workerId, { heartbeatStats: { cpu_percent: 12.5, memory_percent: 40.1, pid: process.pid } });
      }
    })();
    while (!finished) {
      count('POST /v1/agl/queues/rollouts/dequeue');
      const [rollout] = await client.dequeueRollouts({ limit: 1, workerId });
      if (!rollout) {
        await sleep(jittered(runnerPollMillis), undefined, { signal: stop.signal }).catch(() => undefined);
        continue;
      }
      if (rollout.resources_id) {
        count('GET /v1/agl/resources/{resources_id}');
        await client.getResources(rollout.resources_id);
      }
      const ended = await runAgent(rollout, exporter);
      spans += ended;
      count('POST /v1/agl/rollouts/{rollout_id}/attempts/{attempt_id}');
      await client.updateAttempt(rollout.rollout_id, rollout.attempt.attempt_id, { status: 'succeeded' });
    }
    await heartbeat;
    await exporter.shutdown();
  };

  const runAgent = async (rollout: AttemptedRollout, exporter: SpanExporter): Promise<number> => {
    // As Agent Lightning's exporter: the ids merged into the resource, one export per ended span.
    const processor = new SimpleSpanProcessor(exporter);
    let ended = 0;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'bench-store-agl-minimal',
        'agentlightning.rollout_id': rollout.rollout_id,
        'agentlightning.attempt_id': rollout.attempt.attempt_id,
      }),
      spanProcessors: [processor, { onStart() {}, onEnd: () => void ended++, forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const tracer = provider.getTracer('bench-store-agl-minimal');
    const pause = (): Promise<unknown> => sleep(Math.random() * sleepSeconds * 1000);
    const someAttributes = (): Attributes => attributeSets[Math.floor(Math.random() * attributeSets.length)];
    const child = async (parent: ApiSpan, name: string, attributes: Attributes): Promise<void> => {
      const span = tracer.startSpan(name, {}, trace.setSpan(context.active(), parent));
      await pause();
      span.setAttributes(attributes);
      span.end();
    };
    const reward = (value: number): void => {
      tracer.startSpan('agentlightning.annotation', { attributes: { 'agentlightning.reward.0.name': 'primary', 'agentlightning.reward.0.value': value } }).end();
    };
    const rounds = 1 + Math.floor(Math.random() * maxRounds);
    const selected = Math.floor(Math.random() * rounds);
    for (let round = 0; round < rounds; round++) {
      const agent = tracer.startSpan(`agent${round}`);
      const first = { ...someAttributes() };
      if (round === selected) first.task = rollout.input as string;
      await child(agent, `round${round}_1`, first);
      await child(agent, `round${round}_2`, someAttributes());
      agent.end();
      if (Math.random() < 0.5) reward(Math.random());
    }
    const final = tracer.startSpan('final');
    await pause();
    final.setAttributes(someAttributes());
    final.end();
    reward(1 + Math.random());
    await processor.forceFlush();
    return ended;
  };

  const started = performance.now();
  const runnerLoops = Array.from({ length: runners }, (_, index) => runnerLoop(index));
  let submitted = 0;
  try {
    while (submitted < totalTasks) {
      const batch = new Map<string, string>();
      count('POST /v1/agl/resources');
      await client.addResources({
        llm: { resource_type: 'llm', endpoint: `http://localhost:${submitted}/v1`, model: `test-model-${submitted}`, sampling_parameters: {} },
      });
      for (let index = Math.min(batchSize, totalTasks - submitted); index > 0; index--) {
        const task = `task-${submitted}-generated`;
        count('POST /v1/agl/queues/rollouts/enqueue');
        const rollout = await client.enqueueRollout({ input: task, mode: 'train' });
        batch.set(rollout.rollout_id, task);
        submitted++;
      }
      const completed = new Set<string>();
      while (completed.size < batch.size) {
        count('POST /v1/agl/waits/rollouts');
        for (const rollout of await client.waitForRollouts([...batch.keys()], { timeoutSeconds: 0 })) {
          if (completed.has(rollout.rollout_id)) continue;
          if (rollout.status !== 'succeeded') throw new Error(`agl-minimal: rollout ${rollout.rollout_id} finished ${rollout.status}`);
          count('POST /v1/agl/spans/search');
          const page = await client.querySpans({ rolloutId: rollout.rollout_id, attemptId: 'latest', limit: -1, sortBy: 'sequence_id', sortOrder: 'asc', filterLogic: 'and' });
          checkSpans(page.items, batch.get(rollout.rollout_id)!);
          completed.add(rollout.rollout_id);
        }
        await sleep(pollMillis);
      }
    }
  } finally {
    finished = true;
    stop.abort();
    await Promise.allSettled(runnerLoops);
  }
  await Promise.all(runnerLoops);
  return { seconds: (performance.now() - started) / 1000, rollouts: totalTasks, spans, requests };
}

/** As the original's `check_spans`: the task on some span, the final reward in [1, 2]. */
function checkSpans(spans: readonly Span[], task: string): void {
  if (!spans.some((span) => span.attributes.task === task)) throw new Error(`agl-minimal: the spans of ${task} do not carry it`);
  const rewards = spans.filter((span) => span.name === 'agentlightning.annotation');
  const last = rewards.at(-1)?.attributes['agentlightning.reward.0.value'];
  if (typeof last !== 'number' || last < 1 || last > 2) throw new Error(`agl-minimal: the final reward of ${task} is ${String(last)}`);
}
