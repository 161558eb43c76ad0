/**
 * One run of a shape against a collector: an algorithm enqueues rollouts (in `batch` or `queue`
 * mode) and N runners dequeue, run the agent and mark their attempts succeeded, all over HTTP
 * with `StoreClient`.
 *
 * Differences from Agent Lightning's benchmark, on purpose (none of them is the store's work): a
 * batch is enqueued with one call, not one call per rollout; in batch mode the algorithm waits with
 * the server-side long-poll `waitForRollouts` instead of polling every 5 s (which adds up to 5 s a
 * batch that is neither sleep nor store); an idle runner backs off up to 250 ms, not 5 s; spans are
 * checked once over SQL after the run ({@link checkStored}) instead of read back per rollout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreClient } from '../../src/store/index.ts';
import { BenchAgent } from './agent.ts';
import type { StoreShape } from './shapes.ts';

/** What a run did. */
export interface WorkloadResult {
  seconds: number;
  rollouts: number;
  /** The seconds of sleep each rollout drew, by batch, in the order they were enqueued. */
  drawnSleeps: number[][];
}

/** Runs `total` rollouts of `shape` against the collector at `url`, each sleep in [0, `sleepSeconds`]. */
export async function runWorkload(shape: StoreShape, url: string, total: number, sleepSeconds: number): Promise<WorkloadResult> {
  const client = new StoreClient({ baseUrl: url, timeoutMillis: 600_000 });
  const slept = new Map<string, number>();
  let finished = false;
  const runnerLoop = async (index: number): Promise<number> => {
    const agent = new BenchAgent(url);
    const workerId = `runner-${index}`;
    let idleMillis = 5;
    let done = 0;
    while (!finished) {
      const [rollout] = await client.dequeueRollouts({ limit: 1, workerId });
      if (!rollout) {
        // Empty queue: back off (with jitter) so that idle runners do not flood the server.
        await sleep(idleMillis * (0.5 + Math.random()));
        idleMillis = Math.min(idleMillis * 2, 250);
        continue;
      }
      idleMillis = 5;
      if (rollout.resources_id) await client.getResources(rollout.resources_id);
      slept.set(rollout.rollout_id, await agent.run(rollout, shape.turns, sleepSeconds));
      await client.updateAttempt(rollout.rollout_id, rollout.attempt.attempt_id, { status: 'succeeded' });
      done++;
    }
    await agent.shutdown();
    return done;
  };

  const started = performance.now();
  const runners = Array.from({ length: shape.runners }, (_, index) => runnerLoop(index));
  const batches: string[][] = [];
  let submitted = 0;
  const enqueueBatch = async (): Promise<string[]> => {
    const count = Math.min(shape.batchSize, total - submitted);
    await client.addResources({
      llm: { resource_type: 'llm', endpoint: `http://localhost:${submitted}/v1`, model: `test-model-${submitted}`, sampling_parameters: {} },
    });
    const rollouts = await client.enqueueRollouts(Array.from({ length: count }, (_, index) => ({ input: `task-${submitted + index}`, mode: 'train' as const })));
    submitted += count;
    const ids = rollouts.map((rollout) => rollout.rollout_id);
    batches.push(ids);
    return ids;
  };
  if (shape.mode === 'batch') {
    while (submitted < total) {
      const ids = await enqueueBatch();
      const done = await client.waitForRollouts(ids, { timeoutSeconds: 600 });
      if (done.length !== ids.length) throw new Error(`${shape.name}: ${ids.length - done.length} rollouts of a batch never finished`);
      const failed = done.find((rollout) => rollout.status !== 'succeeded');
      if (failed) throw new Error(`${shape.name}: rollout ${failed.rollout_id} ended ${failed.status}`);
    }
  } else {
    const active = new Set<string>();
    let completed = 0;
    while (completed < total) {
      if (submitted < total && active.size < shape.remaining!) {
        for (const id of await enqueueBatch()) active.add(id);
        continue;
      }
      const page = await client.queryRollouts({ rolloutIdIn: [...active], statusIn: ['succeeded', 'failed', 'cancelled'] });
      for (const rollout of page.items) {
        if (rollout.status !== 'succeeded') throw new Error(`${shape.name}: rollout ${rollout.rollout_id} ended ${rollout.status}`);
        active.delete(rollout.rollout_id);
        completed++;
      }
      // The original sleeps 5 s when nothing finished; a short pause keeps these big queries rare.
      await sleep(50);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  finished = true;
  const handled = (await Promise.all(runners)).reduce((sum, count) => sum + count, 0);
  if (handled !== total) throw new Error(`${shape.name}: runners finished ${handled} rollouts, ${total} were enqueued`);
  return { seconds, rollouts: total, drawnSleeps: batches.map((ids) => ids.map((id) => slept.get(id)!)) };
}

/** Checks over SQL (`POST /v1/agl/sql`) that every rollout succeeded with its task span and its final reward (in [1, 2]) stored. */
export async function checkStored(url: string, shape: StoreShape, total: number): Promise<void> {
  const query = `
    WITH latest AS (SELECT rollout_id, latest_attempt_id AS attempt_id, status, json_extract_string(input, '$') AS task FROM rollouts)
    SELECT
      count(*) AS rollouts,
      count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rewards w
        WHERE w.rollout_id = latest.rollout_id AND w.attempt_id = latest.attempt_id AND w.value BETWEEN 1 AND 2)) AS rewarded,
      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM spans s
        WHERE s.rollout_id = latest.rollout_id AND s.attempt_id = latest.attempt_id AND (s.attributes->>'task') = latest.task)) AS with_task
    FROM latest`;
  const response = await fetch(new URL('/v1/agl/sql', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  if (!response.ok) throw new Error(`${shape.name}: SQL check answered ${response.status}: ${await response.text()}`);
  const [[rollouts, succeeded, rewarded, withTask]] = ((await response.json()) as { rows: number[][] }).rows.map((row) => row.map(Number));
  if (rollouts !== total || succeeded !== total || rewarded !== total || withTask !== total) {
    throw new Error(`${shape.name}: of ${total} rollouts, ${rollouts} stored, ${succeeded} succeeded, ${rewarded} with a final reward, ${withTask} with their task span`);
  }
}
