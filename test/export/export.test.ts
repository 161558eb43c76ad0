import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { main } from '../../src/cli/main.ts';
import { Database, runReadOnlyQuery } from '../../src/storage/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { protobufBody, spanSpec } from '../collector/otlp-requests.ts';
import type { SpanSpec } from '../collector/otlp-requests.ts';

/**
 * `agl export` end to end: a collector filled over OTLP (three rollouts of two resources versions),
 * every `--what` × format read back, the filters, triplet order and reward attribution, the server
 * and the file giving the same rows, and the mistakes refused (exit 2, or 400 from the endpoint).
 */

const dir = tempDir('agl-export-');
const dbPath = join(dir, 'agl.duckdb');
const T0 = 1_700_000_000; // epoch seconds of rollout 1
const T3 = T0 + 3600; // rollout 3, an hour later
type Row = Record<string, unknown>;

let collector: Collector;
let ids: { r1: string; a1: string; r2: string; a2: string; r3: string; a3: string };

function at(seconds: number, offsetMillis: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(offsetMillis) * 1_000_000n;
}

function llmSpan(rollout: string, attempt: string, seq: number, startSeconds: number, offsetMillis: number, question: string, answer: string): SpanSpec {
  return spanSpec({
    name: `chat ${question}`,
    startTimeUnixNano: at(startSeconds, offsetMillis),
    endTimeUnixNano: at(startSeconds, offsetMillis + 5),
    attributes: {
      'agentlightning.rollout_id': rollout,
      'agentlightning.attempt_id': attempt,
      'agentlightning.span_sequence_id': seq,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': `model-${question}`,
      'gen_ai.usage.input_tokens': 10 + seq,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]),
    },
  });
}

function rewardSpan(rollout: string, attempt: string, seq: number, startSeconds: number, offsetMillis: number, value: number): SpanSpec {
  return spanSpec({
    name: 'agentlightning.annotation',
    startTimeUnixNano: at(startSeconds, offsetMillis),
    endTimeUnixNano: at(startSeconds, offsetMillis + 1),
    attributes: {
      'agentlightning.rollout_id': rollout,
      'agentlightning.attempt_id': attempt,
      'agentlightning.span_sequence_id': seq,
      'agentlightning.reward.0.name': 'score',
      'agentlightning.reward.0.value': value,
      'agentlightning.reward.1.name': 'length',
      'agentlightning.reward.1.value': 100 + value,
    },
  });
}

/** Runs `agl <args>` in this process; returns the exit code and what it wrote to stderr. */
async function agl(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write;
  const stdoutWrite = process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdoutWrite;
  }
}

function readJsonl(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Row);
}

let reader: Database;
async function readParquet(path: string): Promise<Row[]> {
  const result = await runReadOnlyQuery(reader, `SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`, { maxRows: 100_000 });
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
}

/** Exports through the CLI and reads the file back (parquet through DuckDB's `read_parquet`). */
async function exported(source: string[], what: string, format: string, filters: string[] = []): Promise<Row[]> {
  const out = join(dir, `${what}-${format}-${Math.random().toString(36).slice(2)}.${format}`);
  const run = await agl(['export', '--what', what, '--format', format, '--out', out, ...source, ...filters]);
  assert.equal(run.code, 0, run.stderr);
  return format === 'jsonl' ? readJsonl(out) : readParquet(out);
}

/** The fields of a triplet that both formats and both modes must agree on. */
function tripletKey(row: Row): unknown[] {
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
  return [row.rollout_id, row.attempt_id, row.index, json(row.prompt), json(row.response), row.reward, row.model, Number(row.input_tokens), Number(row.output_tokens)];
}

const serverResults = new Map<string, Row[]>();

describe('agl export', () => {
  before(async () => {
    // User SQL reads no file unless told which directory it may read.
    reader = await Database.open({ path: ':memory:', sqlAllowFiles: dir });
    collector = await startTestCollector({ dbPath });
    const template = (text: string) => ({ prompt_template: { resource_type: 'prompt_template', template: text, engine: 'f-string' } });
    await collector.store.updateResources('rs-a', template('a'));
    await collector.store.updateResources('rs-b', template('b'));
    const start = (resourcesId: string) => collector.store.startRollout({ input: { task: resourcesId }, resourcesId });
    const [p1, p2, p3] = [await start('rs-a'), await start('rs-a'), await start('rs-b')];
    ids = { r1: p1.rollout_id, a1: p1.attempt.attempt_id, r2: p2.rollout_id, a2: p2.attempt.attempt_id, r3: p3.rollout_id, a3: p3.attempt.attempt_id };
    const spans = [
      // Rollout 1: sent out of order; two calls, an intermediate and a final reward.
      rewardSpan(ids.r1, ids.a1, 4, T0, 40, 0.9),
      llmSpan(ids.r1, ids.a1, 3, T0, 30, 'q1-second', 'a1-second'),
      rewardSpan(ids.r1, ids.a1, 2, T0, 20, 0.2),
      llmSpan(ids.r1, ids.a1, 1, T0, 10, 'q1-first', 'a1-first'),
      spanSpec({ startTimeUnixNano: at(T0, 0), endTimeUnixNano: at(T0, 50), attributes: { 'agentlightning.rollout_id': ids.r1, 'agentlightning.attempt_id': ids.a1, 'agentlightning.span_sequence_id': 0 } }),
      // Rollout 2: one call, no reward.
      llmSpan(ids.r2, ids.a2, 1, T0 + 1, 0, 'q2', 'a2'),
      // Rollout 3 (another resources version, an hour later): same sequence id, ordered by start time.
      llmSpan(ids.r3, ids.a3, 5, T3, 20, 'q3-later', 'a3-later'),
      llmSpan(ids.r3, ids.a3, 5, T3, 10, 'q3-earlier', 'a3-earlier'),
      rewardSpan(ids.r3, ids.a3, 6, T3, 40, 0.5),
      // No rollout: in `spans` and `llm_calls`, never a triplet.
      llmSpan('', '', 1, T0, 0, 'orphan', 'orphan'),
    ];
    const response = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody(spans) });
    assert.equal(response.status, 200);
  });
  after(async () => {
    await collector.close();
    await reader.close();
  });

  describe('against the collector (--server)', () => {
    const server = () => ['--server', collector.url];

    it('writes triplets in call order with the final primary reward, the same in JSONL and Parquet', async () => {
      const jsonl = await exported(server(), 'triplets', 'jsonl');
      const parquet = await exported(server(), 'triplets', 'parquet');
      serverResults.set('triplets', jsonl);
      assert.deepEqual(parquet.map(tripletKey), jsonl.map(tripletKey));
      const byRollout = (id: string) => jsonl.filter((row) => row.rollout_id === id);
      assert.equal(jsonl.length, 5);
      const r1 = byRollout(ids.r1);
      assert.deepEqual(r1.map((row) => [row.index, (row.prompt as { content: string }[])[0].content, (row.response as { content: string }[])[0].content, row.reward]), [
        [0, 'q1-first', 'a1-first', 0.9],
        [1, 'q1-second', 'a1-second', 0.9],
      ]);
      assert.deepEqual(r1.map((row) => [row.attempt_id, row.model, row.input_tokens, row.output_tokens]), [
        [ids.a1, 'model-q1-first', 11, 2],
        [ids.a1, 'model-q1-second', 13, 2],
      ]);
      assert.deepEqual(byRollout(ids.r2).map((row) => [row.index, row.reward]), [[0, null]]);
      assert.deepEqual(byRollout(ids.r3).map((row) => [row.index, (row.prompt as { content: string }[])[0].content, row.reward]), [
        [0, 'q3-earlier', 0.5],
        [1, 'q3-later', 0.5],
      ]);
      // Grouped by rollout: each rollout's rows are contiguous.
      const order = jsonl.map((row) => row.rollout_id);
      assert.deepEqual(order, [...order].sort());
    });

    it('writes spans, rollouts and llm_calls in both formats', async () => {
      for (const what of ['spans', 'rollouts', 'llm_calls']) {
        const jsonl = await exported(server(), what, 'jsonl');
        const parquet = await exported(server(), what, 'parquet');
        serverResults.set(what, jsonl);
        assert.equal(parquet.length, jsonl.length, what);
        const key = what === 'rollouts' ? 'rollout_id' : 'span_id';
        assert.deepEqual(parquet.map((row) => row[key]), jsonl.map((row) => row[key]), what);
      }
      assert.equal(serverResults.get('spans')!.length, 10);
      assert.equal(serverResults.get('llm_calls')!.length, 6);
      assert.deepEqual(serverResults.get('rollouts')!.map((row) => [row.rollout_id, row.resources_id]), [
        [ids.r1, 'rs-a'],
        [ids.r2, 'rs-a'],
        [ids.r3, 'rs-b'],
      ]);
      assert.deepEqual(Object.keys(serverResults.get('spans')![0]).slice(0, 3), ['trace_id', 'span_id', 'parent_span_id']);
    });

    it('filters by rollout, resources id and time (ISO or epoch seconds)', async () => {
      const rollouts = (rows: Row[]) => [...new Set(rows.map((row) => row.rollout_id))].sort();
      assert.deepEqual(rollouts(await exported(server(), 'triplets', 'jsonl', ['--rollout', ids.r1, '--rollout', ids.r3])), [ids.r1, ids.r3].sort());
      assert.deepEqual(rollouts(await exported(server(), 'spans', 'jsonl', ['--resources-id', 'rs-b'])), [ids.r3]);
      assert.deepEqual(rollouts(await exported(server(), 'llm_calls', 'parquet', ['--resources-id', 'rs-a'])), [ids.r1, ids.r2].sort());
      assert.deepEqual(rollouts(await exported(server(), 'rollouts', 'jsonl', ['--resources-id', 'rs-a', '--rollout', ids.r2])), [ids.r2]);
      const late = new Date((T3 - 60) * 1000).toISOString();
      const afterLate = await exported(server(), 'triplets', 'jsonl', ['--since', late]);
      assert.deepEqual(afterLate.map((row) => [row.rollout_id, row.index]), [[ids.r3, 0], [ids.r3, 1]]);
      const early = await exported(server(), 'spans', 'jsonl', ['--since', String(T0), '--until', String(T0 + 1)]);
      assert.equal(early.length, 6); // rollout 1's five spans and the orphan call
      // A time filter keeps the index of the call within its attempt.
      const secondCall = await exported(server(), 'triplets', 'jsonl', ['--since', `${T0}.025`, '--until', `${T0 + 1}`]);
      assert.deepEqual(secondCall.map((row) => [row.rollout_id, row.index, row.reward]), [[ids.r1, 1, 0.9]]);
      // The rollouts' own start time is the store's clock (now), so an old window holds none.
      assert.deepEqual(await exported(server(), 'rollouts', 'jsonl', ['--until', '2001-01-01']), []);
    });

    it('answers 400 for bad parameters, and never runs user text as SQL', async () => {
      const post = (body: unknown) =>
        fetch(`${collector.url}/v1/agl/export`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const bad: [unknown, RegExp][] = [
        [{ what: 'spans; DROP TABLE spans', format: 'jsonl' }, /what/],
        [{ what: 'spans', format: 'csv' }, /format/],
        [{ what: 'spans', format: 'jsonl', filters: { since: 'yesterday' } }, /since/],
        [{ what: 'spans', format: 'jsonl', filters: { since: 20, until: 10 } }, /before/],
        [{ what: 'spans', format: 'jsonl', filters: { rollout_ids: 'ro-1' } }, /rollout_ids/],
        [{ what: 'spans', format: 'jsonl', filters: { sql: '1=1' } }, /Unknown filter/],
        [['spans'], /object/],
      ];
      for (const [body, message] of bad) {
        const response = await post(body);
        assert.equal(response.status, 400, JSON.stringify(body));
        const answer = (await response.json()) as { code: string; detail: string };
        assert.equal(answer.code, 'invalid_request');
        assert.match(answer.detail, message);
      }
      const quoted = await post({ what: 'spans', format: 'jsonl', filters: { rollout_ids: ["x' OR '1'='1"] } });
      assert.equal(quoted.status, 200);
      assert.equal(quoted.headers.get('x-agl-export-rows'), '0');
      assert.equal(await quoted.text(), '');
      const spans = await post({ what: 'spans', format: 'jsonl' });
      assert.equal(spans.headers.get('content-type'), 'application/x-ndjson');
      assert.equal((await spans.text()).trim().split('\n').length, 10);
    });
  });

  describe('command-line mistakes', () => {
    it('exit 2 with a clear message', async () => {
      const out = join(dir, 'never.jsonl');
      const cases: [string[], RegExp][] = [
        [['export', '--format', 'jsonl', '--out', out], /--what is required/],
        [['export', '--what', 'tables', '--format', 'jsonl', '--out', out], /--what to be one of spans, rollouts, llm_calls, triplets/],
        [['export', '--what', 'spans', '--format', 'csv', '--out', out], /--format to be parquet or jsonl/],
        [['export', '--what', 'spans', '--format', 'jsonl'], /--out PATH is required/],
        [['export', '--what', 'spans', '--format', 'jsonl', '--out', out, '--since', 'last week'], /--since to be epoch seconds or an ISO 8601 time/],
        [['export', '--what', 'spans', '--format', 'jsonl', '--out', out, '--db', dbPath, '--server', 'http://x'], /either --db or --server/],
        [['export', '--what', 'spans', '--format', 'jsonl', '--out', out, '--bogus'], /bogus/],
      ];
      for (const [args, message] of cases) {
        const run = await agl(args);
        assert.equal(run.code, 2, args.join(' '));
        assert.match(run.stderr, message);
        assert.match(run.stderr, /Usage: agl export/);
      }
    });
  });

  describe('on the file (--db, read-only)', () => {
    before(() => collector.close());

    it('gives exactly the rows the collector gave', async () => {
      assert.ok(serverResults.size === 4, 'the server-mode tests ran first');
      for (const [what, rows] of serverResults) {
        const fromFile = await exported(['--db', dbPath], what, 'jsonl');
        const strip = (list: Row[]) => list.map(({ received_at: _, ...rest }) => rest);
        assert.deepEqual(strip(fromFile), strip(rows), what);
      }
      const filtered = await exported(['--db', dbPath], 'triplets', 'parquet', ['--resources-id', 'rs-b']);
      assert.deepEqual(filtered.map(tripletKey), serverResults.get('triplets')!.filter((row) => row.rollout_id === ids.r3).map(tripletKey));
    });
  });
});
