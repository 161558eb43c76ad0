import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Collector } from '../../collector/index.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { MIXED_ROWS, countRows, fetchRaw, mixedSpans, protobufBody, spanSpec } from './otlp-requests.ts';
import type { RawResponse, SpanSpec } from './otlp-requests.ts';

/** `POST /v1/agl/sql` against a real collector and DuckDB file. */

interface SqlAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

describe('POST /v1/agl/sql', () => {
  let collector: Collector;
  let spans: SpanSpec[];
  const dir = tempDir();

  before(async () => {
    collector = await startTestCollector();
    spans = [
      ...mixedSpans('ro-sql'),
      spanSpec({ name: 'a, "quoted"\nname', attributes: { 'agentlightning.rollout_id': 'ro-sql', n: 7 } }),
    ];
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(spans),
    });
    assert.equal(response.status, 200);
  });
  after(() => collector.close());

  function sql(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<RawResponse> {
    return fetchRaw(`${collector.url}/v1/agl/sql`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  function answer(response: RawResponse): SqlAnswer {
    assert.equal(response.status, 200, response.body.toString('utf8'));
    assert.equal(response.headers['content-type'], 'application/json');
    return JSON.parse(response.body.toString('utf8')) as SqlAnswer;
  }

  function refused(response: RawResponse, status: number, code: string): string {
    assert.equal(response.status, status, response.body.toString('utf8'));
    assert.equal(response.headers['content-type'], 'application/json');
    const body = JSON.parse(response.body.toString('utf8')) as { detail: string; code: string };
    assert.equal(body.code, code);
    assert.equal(typeof body.detail, 'string');
    return body.detail;
  }

  /** The server still answers a query, and the span tables hold exactly what was sent. */
  async function stillServes(): Promise<void> {
    const result = answer(await sql({ query: "SELECT count(*) AS n FROM spans WHERE rollout_id = 'ro-sql'" }));
    assert.deepEqual(result.rows, [[spans.length]]);
    assert.deepEqual(await countRows(collector), { ...MIXED_ROWS, spans: MIXED_ROWS.spans + 1 });
  }

  it('answers a SELECT with columns, rows as JSON values and truncated', async () => {
    const target = spans[3];
    const result = answer(
      await sql({
        query: `SELECT name, rollout_id, start_time_unix_nano, attributes, sequence_id, 1.5::DOUBLE AS d, true AS b
                FROM spans WHERE span_id = '${target.spanId}'`,
      }),
    );
    assert.deepEqual(result, {
      columns: [
        { name: 'name', type: 'VARCHAR' },
        { name: 'rollout_id', type: 'VARCHAR' },
        { name: 'start_time_unix_nano', type: 'BIGINT' },
        { name: 'attributes', type: 'JSON' },
        { name: 'sequence_id', type: 'BIGINT' },
        { name: 'd', type: 'DOUBLE' },
        { name: 'b', type: 'BOOLEAN' },
      ],
      // A BIGINT beyond 2^53 comes as a string, exact; JSON columns as parsed JSON.
      rows: [['a, "quoted"\nname', 'ro-sql', String(target.startTimeUnixNano), { 'agentlightning.rollout_id': 'ro-sql', n: 7 }, null, 1.5, true]],
      truncated: false,
    });
  });

  it('reads the rewards and llm_calls views, and WITH, SHOW, DESCRIBE, EXPLAIN', async () => {
    const rewards = answer(await sql({ query: 'SELECT rollout_id, span_id, name, value, is_primary FROM rewards' }));
    assert.deepEqual(rewards.rows, [['ro-sql', spans[1].spanId, 'accuracy', 0.75, true]]);
    const calls = answer(await sql({ query: 'SELECT span_id, model, input_tokens, output_tokens, convention FROM llm_calls' }));
    assert.deepEqual(calls.rows, [[spans[2].spanId, 'm1', 12, 3, 'gen_ai']]);
    const withQuery = answer(await sql({ query: 'WITH s AS (SELECT * FROM spans) SELECT count(*) FROM s' }));
    assert.deepEqual(withQuery.rows, [[spans.length]]);
    const tables = answer(await sql({ query: 'SHOW TABLES' })).rows.map((row) => row[0]);
    // Later migrations add tables; the span tables and views are always there, in name order.
    for (const name of ['llm_calls', 'rewards', 'schema_migrations', 'span_llm_calls', 'span_rewards', 'spans']) {
      assert.ok(tables.includes(name), `SHOW TABLES lists ${name}`);
    }
    assert.deepEqual(tables, [...tables].sort());
    const describe = answer(await sql({ query: 'DESCRIBE rewards' }));
    assert.deepEqual(
      describe.rows.map((row) => row[0]),
      ['rollout_id', 'attempt_id', 'span_id', 'trace_id', 'name', 'value', 'is_primary', 'reward_index', 'time', 'sequence_id'],
    );
    const explain = answer(await sql({ query: 'EXPLAIN SELECT * FROM spans' }));
    assert.equal(explain.rows.length, 1);
    await stillServes();
  });

  it('refuses statements that write, attach, load or set with 403, and does not run them', async () => {
    const attached = join(dir, 'attached.duckdb');
    const copied = join(dir, 'copy.csv');
    const statements: [string, string][] = [
      ["INSERT INTO spans (trace_id, span_id) VALUES ('a', 'b')", 'INSERT'],
      [`ATTACH '${attached}' AS other`, 'ATTACH'],
      [`COPY spans TO '${copied}'`, 'COPY'],
      [`COPY (SELECT 1) TO '${copied}'`, 'COPY'],
      ['LOAD httpfs', 'LOAD'],
      ['INSTALL httpfs', 'INSTALL'],
      ['SET threads = 1', 'SET'],
      ["SET VARIABLE v = 1", 'SET'],
      ['DELETE FROM spans', 'DELETE'],
      ["UPDATE spans SET name = 'x'", 'UPDATE'],
      ['DROP VIEW rewards', 'DROP'],
      ['CREATE TABLE t (a INTEGER)', 'CREATE'],
      ['DETACH other', 'DETACH'],
      ['BEGIN TRANSACTION', 'BEGIN'],
      ['CHECKPOINT', 'CHECKPOINT'],
    ];
    const threads = answer(await sql({ query: "SELECT current_setting('threads')" })).rows;
    for (const [query, type] of statements) {
      const detail = refused(await sql({ query }), 403, 'forbidden');
      assert.match(detail, new RegExp(`Only read-only statements .* got ${type}$`), query);
    }
    assert.equal(existsSync(attached), false, 'ATTACH did not create the file');
    assert.equal(existsSync(copied), false, 'COPY did not write the file');
    assert.deepEqual(answer(await sql({ query: "SELECT current_setting('threads')" })).rows, threads);
    assert.deepEqual(answer(await sql({ query: 'SELECT count(*) FROM rewards' })).rows, [[1]]);
    await stillServes();
  });

  it('answers two statements, a syntax error, an unknown table and bad bodies with 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{ query: 'SELECT 1; SELECT 2' }, /Expected exactly one SQL statement, got 2/],
      [{ query: "SELECT 1; INSERT INTO spans (trace_id) VALUES ('x')" }, /Expected exactly one SQL statement, got 2/],
      [{ query: 'SELEC 1' }, /does not parse.*syntax error/s],
      [{ query: 'SELECT * FROM no_such_table' }, /no_such_table does not exist/],
      [{ query: '   ' }, /The query is empty/],
      [{}, /Expected a JSON object with a string `query`/],
      [{ sql: 'SELECT 1' }, /Expected a JSON object with a string `query`/],
      [{ query: 42 }, /Expected a JSON object with a string `query`/],
      [['SELECT 1'], /Expected a JSON object with a string `query`/],
      ['null', /Expected a JSON object with a string `query`/],
      ['SELECT 1', /not valid JSON/],
      ['{"query": "SELECT 1"', /not valid JSON/],
      [{ query: 'SELECT 1', max_rows: 0 }, /`max_rows` to be an integer ≥ 1, got `0`/],
      [{ query: 'SELECT 1', max_rows: 'all' }, /`max_rows` to be an integer ≥ 1, got `"all"`/],
      [{ query: 'SELECT 1', max_rows: 1.5 }, /`max_rows` to be an integer ≥ 1/],
    ];
    for (const [body, message] of cases) {
      assert.match(refused(await sql(body), 400, 'invalid_request'), message, JSON.stringify(body));
    }
    await stillServes();
  });

  it('answers another content type with 415 and GET with 405', async () => {
    const plain = await sql({ query: 'SELECT 1' }, { 'content-type': 'text/plain' });
    assert.match(refused(plain, 415, 'unsupported_media_type'), /text\/plain/);
    const get = await fetchRaw(`${collector.url}/v1/agl/sql?query=SELECT+1`, {});
    refused(get, 405, 'method_not_allowed');
    assert.equal(get.headers.allow, 'POST');
    // A JSON body with parameters in its media type is fine.
    const withCharset = answer(await sql({ query: 'SELECT 2 AS two' }, { 'content-type': 'application/json; charset=utf-8' }));
    assert.deepEqual(withCharset.rows, [[2]]);
    await stillServes();
  });

  it('truncates at max_rows and says so', async () => {
    const three = answer(await sql({ query: 'SELECT range AS i FROM range(10)', max_rows: 3 }));
    assert.deepEqual(three, { columns: [{ name: 'i', type: 'BIGINT' }], rows: [[0], [1], [2]], truncated: true });
    const all = answer(await sql({ query: 'SELECT range AS i FROM range(10)', max_rows: 10 }));
    assert.equal(all.rows.length, 10);
    assert.equal(all.truncated, false);
    const exact = answer(await sql({ query: 'SELECT span_id FROM spans ORDER BY span_id', max_rows: spans.length - 1 }));
    assert.deepEqual(
      exact.rows.map((row) => row[0]),
      spans
        .map((span) => span.spanId)
        .sort()
        .slice(0, spans.length - 1),
    );
    assert.equal(exact.truncated, true);
    await stillServes();
  });
});
